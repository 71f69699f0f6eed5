// Package secret generates client secrets and stores them as one-way hashes.
//
// Generated secrets are 256-bit random values, so a single salted SHA-256 is
// enough to keep them safe at rest (a preimage of a 256-bit secret is out of
// reach) and costs about a microsecond per check: the token endpoint never
// spends password-grade hashing on machine secrets. Secrets imported from
// elsewhere (seed files, Auth0 exports) that are shorter than 32 characters
// may be low-entropy, so they are hashed with argon2id, and a successful or
// failed verification is cached briefly by (hash, digest of the presented
// secret) so that a client presenting the same secret does not pay the KDF on
// every request. All comparisons are constant-time.
//
// Hash formats (versioned strings):
//
//	$sha256$<salt>$<digest>                      digest = SHA-256(salt || secret)
//	$argon2id$v=19$m=<KiB>,t=<n>,p=<n>$<salt>$<key>
//
// Salts and digests are unpadded base64url.
package secret
