// Package testkit holds the helpers credo's integration tests share:
// building the credo binary, a free loopback address and a goroutine-safe
// buffer for a process's output. It is
// imported only by tests. (verify and client must not import internal
// packages, even in tests, so their tests keep their own copies.)
package testkit

import (
	"bytes"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Buffer is a bytes.Buffer safe for concurrent Write and String, for
// collecting a process's stdout and stderr.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// FreeAddr returns a loopback host:port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// RepoRoot is the module root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// BuildCredo builds ./cmd/credo into a temporary directory (with -race when
// race is set) and returns the binary's path.
func BuildCredo(t testing.TB, race bool) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "credo")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/credo")...)
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building credo: %v\n%s", err, out)
	}
	return bin
}
