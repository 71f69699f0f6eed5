package tenant

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/credo-dev/credo/store"
)

// readCode returns inline code or the content of codeFile, resolved
// against the seed file's directory.
func (seed *Seed) readCode(inline, codeFile string) (string, error) {
	if inline != "" && codeFile != "" {
		return "", invalid("code", "give code or code_file, not both")
	}
	if codeFile == "" {
		return inline, nil
	}
	p := codeFile
	if !filepath.IsAbs(p) && seed.Dir != "" {
		p = filepath.Join(seed.Dir, p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", invalid("code_file", "%v", err)
	}
	return string(b), nil
}

// applyExtensions upserts a seed's actions (by name; deployed and bound to
// credentials-exchange in seed order when deployed is true or absent) and
// hooks (by name).
func (s *Service) applyExtensions(ctx context.Context, seed *Seed, res *SeedResult) error {
	var bind []string
	for i, sa := range seed.Actions {
		fail := func(err error) error { return &SeedError{"actions", i, sa.Name, err} }
		code, err := seed.readCode(sa.Code, sa.CodeFile)
		if err != nil {
			return fail(err)
		}
		f := ActionFields{Name: &sa.Name, Code: &code}
		triggers := []store.Trigger{{ID: TriggerCredentialsExchange, Version: "v2"}}
		for _, t := range sa.SupportedTriggers {
			triggers = []store.Trigger{{ID: t["id"], Version: t["version"]}}
		}
		f.SupportedTriggers = &triggers
		if sa.Runtime != "" {
			f.Runtime = &sa.Runtime
		}
		if len(sa.Dependencies) > 0 {
			f.Dependencies = []string{"(dependencies)"}
		}
		if sa.Secrets != nil {
			secrets := make([]SecretInput, 0, len(sa.Secrets))
			for _, m := range sa.Secrets {
				secrets = append(secrets, SecretInput{Name: m["name"], Value: m["value"]})
			}
			f.Secrets = &secrets
		}
		cur, err := s.findAction(ctx, sa.Name)
		var a store.Action
		switch {
		case errors.Is(err, store.ErrNotFound):
			if a, err = s.CreateAction(ctx, f); err != nil {
				return fail(err)
			}
			res.Created++
		case err != nil:
			return fail(err)
		default:
			if cur.Code == code && (f.Secrets == nil || s.sameSecrets(ActionSecretPrefix(cur.ID), cur.Secrets, *f.Secrets)) {
				a = cur
				res.Unchanged++
			} else {
				if a, err = s.UpdateAction(ctx, cur.ID, f); err != nil {
					return fail(err)
				}
				res.Updated++
			}
		}
		if sa.Deployed == nil || *sa.Deployed {
			if a.DeployedCode != a.Code {
				if a, err = s.DeployAction(ctx, a.ID); err != nil {
					return fail(err)
				}
			}
			bind = append(bind, a.ID)
		}
	}
	if len(seed.Actions) > 0 {
		cur, err := s.Store.Bindings(ctx, TriggerCredentialsExchange)
		if err != nil {
			return err
		}
		if !slices.Equal(cur, bind) {
			if _, err := s.SetBindings(ctx, TriggerCredentialsExchange, bind); err != nil {
				return &SeedError{"actions", 0, "bindings", err}
			}
		}
	}
	for i, sh := range seed.Hooks {
		fail := func(err error) error { return &SeedError{"hooks", i, sh.Name, err} }
		script, err := seed.readCode(sh.Script, sh.CodeFile)
		if err != nil {
			return fail(err)
		}
		enabled := sh.Enabled
		trigger := sh.TriggerID
		f := HookFields{Name: &sh.Name, Script: &script, TriggerID: &trigger, Enabled: &enabled}
		if sh.Secrets != nil {
			secrets := make([]SecretInput, 0, len(sh.Secrets))
			for k, v := range sh.Secrets {
				secrets = append(secrets, SecretInput{Name: k, Value: v})
			}
			slices.SortFunc(secrets, func(a, b SecretInput) int { return strings.Compare(a.Name, b.Name) })
			f.Secrets = &secrets
		}
		var existing *store.Hook
		list, _, err := s.Store.ListHooks(ctx, store.Page{Limit: 100})
		if err != nil {
			return fail(err)
		}
		for i := range list {
			if list[i].Name == sh.Name {
				existing = &list[i]
			}
		}
		if existing == nil {
			if _, err := s.CreateHook(ctx, f); err != nil {
				return fail(err)
			}
			res.Created++
			continue
		}
		if existing.Script == script && existing.Enabled == enabled && existing.TriggerID == trigger &&
			(f.Secrets == nil || s.sameSecrets(HookSecretPrefix(existing.ID), existing.Secrets, *f.Secrets)) {
			res.Unchanged++
			continue
		}
		if _, err := s.UpdateHook(ctx, existing.ID, f); err != nil {
			return fail(err)
		}
		res.Updated++
	}
	return nil
}

// sameSecrets reports whether the stored secrets decrypt to exactly in.
func (s *Service) sameSecrets(prefix string, stored []store.ActionSecret, in []SecretInput) bool {
	if len(stored) != len(in) {
		return false
	}
	plain, err := OpenSecrets(s.Master.OpenString, prefix, stored)
	if err != nil {
		return false
	}
	for _, sec := range in {
		if v, ok := plain[sec.Name]; !ok || v != sec.Value {
			return false
		}
	}
	return true
}
