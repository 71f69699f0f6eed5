package mgmt

import (
	"net/http"
	"slices"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/store"
)

func (a *API) listKeys(c *call) (any, error) {
	list, err := c.st().ListSigningKeys(c.r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]keys.Info, len(list))
	for i, k := range list {
		out[i] = keys.Describe(k)
	}
	return out, nil
}

// key finds a signing key by kid.
func (c *call) key() (store.SigningKey, error) {
	kid := c.r.PathValue("kid")
	list, err := c.st().ListSigningKeys(c.r.Context())
	if err != nil {
		return store.SigningKey{}, err
	}
	for _, k := range list {
		if k.KID == kid {
			return k, nil
		}
	}
	return store.SigningKey{}, keys.ErrNoKey
}

func (a *API) getKey(c *call) (any, error) {
	k, err := c.key()
	if err != nil {
		return nil, err
	}
	return keys.Describe(k), nil
}

func (a *API) keyPEM(c *call) (any, error) {
	k, err := c.key()
	if err != nil {
		return nil, err
	}
	c.raw, c.rawCT = []byte(keys.CertPEM(k)), "application/x-pem-file"
	return nil, nil
}

func (a *API) keyCER(c *call) (any, error) {
	k, err := c.key()
	if err != nil {
		return nil, err
	}
	c.raw, c.rawCT = k.CertDER, "application/pkix-cert"
	c.w.Header().Set("Content-Disposition", `attachment; filename="`+k.KID+`.cer"`)
	return nil, nil
}

// rotateKeys rotates every key type (or only ?key_type=) and answers the new
// current key of the RSA type (or of the one type rotated).
func (a *API) rotateKeys(c *call) (any, error) {
	var types []string
	want := keys.TypeRSA
	if kt := c.q.str("key_type"); c.q.has("key_type") {
		if !slices.Contains(keys.AllTypes, kt) {
			return nil, errQuery("must be one of RSA, EC, OKP", "key_type")
		}
		types, want = []string{kt}, kt
	}
	current, err := c.svc().RotateKeys(c.r.Context(), types...)
	if err != nil {
		return nil, err
	}
	for _, k := range current {
		if k.KeyType == want {
			c.status, c.target = http.StatusCreated, k.KID
			return SigningKeyRef{Cert: keys.CertPEM(k), KID: k.KID}, nil
		}
	}
	return nil, errInternal(nil)
}

func (a *API) revokeKey(c *call) (any, error) {
	k, err := c.svc().RevokeKey(c.r.Context(), c.r.PathValue("kid"))
	if err != nil {
		return nil, err
	}
	c.target = k.KID
	return SigningKeyRef{Cert: keys.CertPEM(k), KID: k.KID}, nil
}
