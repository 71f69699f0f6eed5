package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/credo-dev/credo/client"
	"github.com/credo-dev/credo/store"
)

func init() {
	register(command{name: "keys", summary: "signing keys: list, rotate, revoke", run: runKeys})
}

func runKeys(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "keys", "Manage the tenant's token-signing keys. Each key type (RSA, EC, OKP) has a current key,\na published next key and, after a rotation, a previous key until it is revoked.", []verb{
		{"list", "list the signing keys", keysList},
		{"rotate", "promote every next key to current; the old current keys become previous", keysRotate},
		{"revoke", "revoke a previous key: it leaves the JWKS and its tokens stop verifying", keysRevoke},
	}, args)
}

func keyState(k *client.SigningKey) string {
	if k.State != "" {
		return k.State
	}
	switch {
	case k.Current:
		return string(store.KeyCurrent)
	case k.Previous:
		return string(store.KeyPrevious)
	case k.Revoked:
		return string(store.KeyRevoked)
	}
	return string(store.KeyNext)
}

func keysList(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "keys list", "keys list [flags]", `keys list`)
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		list, err := c.api.SigningKeys.List(ctx)
		if err != nil {
			return err
		}
		return o.show(io, orEmpty(list), func(w writer) {
			row(w, "KID", "TYPE", "STATE", "ALGS", "CURRENT SINCE", "REVOKED AT")
			for i := range list {
				k := &list[i]
				row(w, k.KID, k.KeyType, keyState(k), strings.Join(k.Algorithms, ","), timeCell(k.CurrentSince), timeCell(k.RevokedAt))
			}
		})
	})
}

func keysRotate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "keys rotate", "keys rotate [flags]\n\nRotates every key type. Tokens signed with the old keys keep verifying until\nthose keys are revoked (credo keys revoke KID).", `keys rotate --server https://auth.example.com/`)
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		if _, err := c.api.SigningKeys.Rotate(ctx); err != nil {
			return err
		}
		list, err := c.api.SigningKeys.List(ctx)
		if err != nil {
			return err
		}
		var current []client.SigningKey
		for _, k := range list {
			if keyState(&k) == string(store.KeyCurrent) {
				current = append(current, k)
			}
		}
		return o.show(io, current, func(w writer) {
			for _, k := range current {
				fmt.Fprintf(w, "New current %s key: %s\n", k.KeyType, k.KID)
			}
		})
	})
}

func keysRevoke(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "keys revoke", "keys revoke KID [flags]\n\nOnly a previous key can be revoked. It leaves the JWKS at once; verifiers that\ncached the JWKS keep accepting its tokens until their cache expires.", `keys revoke KID --yes`)
	yes := yesFlag(fs)
	return withConn(ctx, io, fs, o, args, 1, "KID", func(c *conn, pos []string) error {
		if err := confirmUnless(io, *yes, fmt.Sprintf("Revoke signing key %s? Tokens signed with it stop verifying once APIs refresh the JWKS.", pos[0])); err != nil {
			return err
		}
		k, err := c.api.SigningKeys.Revoke(ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Stderr, "credo keys revoke: %s left the JWKS; APIs that cached the JWKS accept tokens signed with it until their cache expires (credo serves it with Cache-Control max-age %s)\n",
			k.KID, o.cfg.JWKSMaxAge)
		return o.show(io, k, func(w writer) {
			fmt.Fprintf(w, "Revoked key: %s\n", k.KID)
		})
	})
}
