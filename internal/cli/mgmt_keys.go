package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/credo-dev/credo/internal/mgmt"
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

func keysList(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "keys list", "keys list [flags]")
	return withBackend(ctx, io, fs, o, args, 0, "", func(b backend, _ []string) error {
		list, err := b.listKeys(ctx)
		if err != nil {
			return err
		}
		return o.show(io, list, func(w writer) {
			row(w, "KID", "TYPE", "STATE", "ALGS", "CURRENT SINCE", "REVOKED AT")
			for _, k := range list {
				state := string(store.KeyNext)
				switch {
				case k.Current:
					state = string(store.KeyCurrent)
				case k.Previous:
					state = string(store.KeyPrevious)
				case k.Revoked:
					state = string(store.KeyRevoked)
				}
				row(w, k.KID, k.KeyType, state, strings.Join(k.Algorithms, ","), deref(k.CurrentSince), deref(k.RevokedAt))
			}
		})
	})
}

func showKeyRef(io IO, o *mgmtOpts, what string, k mgmt.SigningKeyRef) error {
	return o.show(io, k, func(w writer) {
		fmt.Fprintf(w, "%s: %s\n", what, k.KID)
	})
}

func keysRotate(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "keys rotate", "keys rotate [flags]\n\nRotates every key type. Tokens signed with the old keys keep verifying until\nthose keys are revoked (credo keys revoke KID).")
	return withBackend(ctx, io, fs, o, args, 0, "", func(b backend, _ []string) error {
		k, err := b.rotateKeys(ctx)
		if err != nil {
			return err
		}
		return showKeyRef(io, o, "New current RSA key", k)
	})
}

func keysRevoke(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "keys revoke", "keys revoke KID [flags]\n\nOnly a previous key can be revoked.")
	return withBackend(ctx, io, fs, o, args, 1, "KID", func(b backend, pos []string) error {
		k, err := b.revokeKey(ctx, pos[0])
		if err != nil {
			return err
		}
		return showKeyRef(io, o, "Revoked key", k)
	})
}
