// Package keys owns credo's signing keys: generating them (RSA-2048, P-256,
// Ed25519), sealing private keys at rest with the master key, the
// next → current → previous → revoked lifecycle, the JWKS document and the
// go-jose signers used on the token path.
//
// The lifecycle is why rotation never breaks a resource server: a key is
// created as "next" and published in the JWKS long before it signs anything;
// rotate promotes next to current (so verifiers that cached the JWKS already
// know it), demotes current to previous (still published, so tokens it
// signed keep verifying) and creates a fresh next. Only revoke removes a key
// from the JWKS, and a revoked key is never used again.
//
// Private keys are encrypted with AES-256-GCM under a 256-bit master key
// (CREDO_MASTER_KEY or a key file created with mode 0600); the store never
// sees key material in clear.
package keys
