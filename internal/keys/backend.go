package keys

import (
	"crypto/fips140"
	"runtime"
)

// Backend names the cryptography that signs this binary's tokens, as
// `credo version`, the start-up log and /metrics (credo_build_info) report it:
//
//   - "boringcrypto": built with GOEXPERIMENT=boringcrypto (cgo); RSA and ECDSA
//     signatures run in BoringSSL's assembly, Ed25519 and HMAC stay in Go;
//   - "go-fips140": the pure-Go build with the Go Cryptographic Module in
//     FIPS 140-3 mode (GODEBUG=fips140=on);
//   - "openssl": built with -tags credo_openssl (cgo); RS256 and ES256 are
//     signed by the system's OpenSSL 3 libcrypto, loaded at start through
//     github.com/golang-fips/openssl; PS256, Ed25519 and HMAC stay in Go;
//   - "go": the default pure-Go build.
//
// Which one is chosen at build time; see the README's "Build" section.
func Backend() string {
	if native.rs256 != nil {
		return "openssl"
	}
	if boringEnabled() {
		return "boringcrypto"
	}
	if fips140.Enabled() {
		return "go-fips140"
	}
	return "go"
}

// BuildDescription is one line for `credo version` and the start-up log: the
// Go toolchain and the crypto backend.
func BuildDescription() string {
	d := runtime.Version() + ", crypto " + Backend()
	if v := backendVersion(); v != "" {
		d += " (" + v + ")"
	}
	return d
}

// BackendError is why the backend this binary was built for could not be
// loaded (the OpenSSL build without a usable libcrypto), or nil. credo serve
// refuses to start with it rather than sign with another backend unnoticed.
func BackendError() error { return backendErr }
