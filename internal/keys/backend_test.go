package keys

import (
	"crypto/fips140"
	"os"
	"strings"
	"testing"
)

// TestBackend checks that the reported backend is the one this test binary
// was built with: CI runs the keys and token tests once as a pure-Go build and
// once with GOEXPERIMENT=boringcrypto and CREDO_EXPECT_CRYPTO_BACKEND=boringcrypto,
// once with -tags credo_openssl and CREDO_EXPECT_CRYPTO_BACKEND=openssl,
// so a build that silently fell back to Go fails here.
func TestBackend(t *testing.T) {
	got := Backend()
	if expect := os.Getenv("CREDO_EXPECT_CRYPTO_BACKEND"); expect != "" && got != expect {
		t.Fatalf("Backend() = %q, but this run expects %q (was the binary built with GOEXPERIMENT=boringcrypto and CGO_ENABLED=1?)", got, expect)
	}
	want := "go"
	if native.rs256 != nil {
		want = "openssl"
	} else if boringEnabled() {
		want = "boringcrypto"
	} else if fips140.Enabled() {
		want = "go-fips140"
	}
	if got != want {
		t.Fatalf("Backend() = %q, want %q", got, want)
	}
	if !strings.Contains(BuildDescription(), "crypto "+got) {
		t.Fatalf("BuildDescription() = %q does not name the backend", BuildDescription())
	}
}
