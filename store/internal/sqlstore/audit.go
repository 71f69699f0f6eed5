package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/credo-dev/credo/store"
)

// writeOp is one write: the change-log entry it produces and, for the audit
// entry of an audited write (store.WithAudit), the value before and after
// it (nil: none, as for a create's before or a delete's after).
type writeOp struct {
	ch            store.Change
	before, after any
}

// op is a writeOp for ch.
func op(ch store.Change) *writeOp { return &writeOp{ch: ch} }

// audited reports whether writes under ctx record audit entries.
func audited(ctx context.Context) bool { return store.AuditFrom(ctx) != nil }

// snapshotDoc returns v encoded, for a writeOp's before, taken before fn
// changes v (nil when the write is not audited, to cost nothing then).
func snapshotDoc(ctx context.Context, v any) any {
	if !audited(ctx) {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return json.RawMessage(b)
}

// secretFields are the stored fields whose values never reach an audit
// entry: hashed client secrets, sealed API signing secrets, sealed private
// keys, sealed Action and Hook secrets. That they changed is recorded.
var secretFields = map[string]bool{"Secrets": true, "SigningSecret": true, "SealedPrivateKey": true, "Sealed": true, "Hash": true, "HTTPAuthorization": true}

// noisyFields change with every write or are bulky without telling an
// auditor anything (a certificate is derived from the key).
var noisyFields = map[string]bool{"UpdatedAt": true, "CertDER": true, "LeaseUntil": true, "LeaseOwner": true}

// auditChanges returns the stored fields of before and after that differ,
// as {"before":{…},"after":{…}}, secrets redacted.
func auditChanges(before, after any) (map[string]any, error) {
	b, err := fields(before)
	if err != nil {
		return nil, err
	}
	a, err := fields(after)
	if err != nil {
		return nil, err
	}
	bo, ao := map[string]any{}, map[string]any{}
	for k, bv := range b {
		if av, ok := a[k]; ok && bytes.Equal(av, bv) || noisyFields[k] {
			continue
		}
		bo[k] = value(k, bv)
	}
	for k, av := range a {
		if bv, ok := b[k]; ok && bytes.Equal(av, bv) || noisyFields[k] {
			continue
		}
		ao[k] = value(k, av)
	}
	out := map[string]any{}
	if before != nil {
		out["before"] = bo
	}
	if after != nil {
		out["after"] = ao
	}
	return out, nil
}

// fields splits a value's JSON object into its top-level fields. A list (the
// signing keys a rotation wrote) becomes one field per element, named by
// its KID.
func fields(v any) (map[string]json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		out := map[string]json.RawMessage{}
		for i, el := range list {
			name := strconv.Itoa(i)
			if kid, ok := el["KID"]; ok {
				var s string
				json.Unmarshal(kid, &s)
				name = s
			}
			for k := range el {
				if secretFields[k] || noisyFields[k] {
					delete(el, k)
				}
			}
			b, _ := json.Marshal(el)
			out[name] = b
		}
		return out, nil
	}
	out := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func value(field string, raw json.RawMessage) any {
	if secretFields[field] {
		return store.Redacted
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	return v
}

// recordAudit writes the audit entry of the write o, in its transaction q.
func (s *Store) recordAudit(ctx context.Context, q Querier, a *store.Audit, o *writeOp) error {
	ev := a.Event
	ev.Details = make(map[string]any, len(a.Event.Details)+2)
	for k, v := range a.Event.Details {
		ev.Details[k] = v
	}
	if a.Written > 0 {
		ev.ID += "." + strconv.Itoa(a.Written)
	}
	if ev.Date.IsZero() {
		ev.Date = time.Now().UTC()
	}
	target := map[string]any{"kind": string(o.ch.Kind)}
	if o.ch.ID != "" {
		target["id"] = o.ch.ID
	}
	ev.Details["target"] = target
	if o.before != nil || o.after != nil {
		ch, err := auditChanges(o.before, o.after)
		if err != nil {
			return err
		}
		ev.Details["changes"] = ch
	}
	doc, err := json.Marshal(&ev)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO audit_log (id, date_ms, type, description, client_id, client_name, ip, user_agent, hostname, audience, scope, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		ev.ID, ev.Date.UnixMilli(), ev.Type, ev.Description, ev.ClientID, ev.ClientName, ev.IP, ev.UserAgent, ev.Hostname, ev.Audience, ev.Scope, doc)
	return err
}

// PruneAudit deletes the audit entries dated before t.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.db.Write(ctx, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `DELETE FROM audit_log WHERE date_ms < $1`, before.UnixMilli())
		return err
	})
	return int(n), err
}
