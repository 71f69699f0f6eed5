package verify_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoInternalImports enforces that the public packages verify and client
// (and their tests) depend on nothing of credo's but each other's public
// API, and on no third-party module but go-jose and x/oauth2.
func TestNoInternalImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this test needs the go tool on PATH: %v", err)
	}
	const module = "github.com/credo-dev/credo"
	cmd := exec.CommandContext(t.Context(), goTool, "list", "-deps", "-test",
		"-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", module+"/verify", module+"/client")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		module + "/verify", module + "/client",
		"github.com/go-jose/go-jose/v4", "golang.org/x/oauth2",
	}
	var seen int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// Test variants print as "pkg [pkg.test]"; test mains as "pkg.test".
		dep, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		dep = strings.TrimSuffix(strings.TrimSuffix(dep, ".test"), "_test")
		if dep == "" {
			continue
		}
		seen++
		if strings.HasPrefix(dep, module+"/internal") || strings.HasPrefix(dep, module+"/store") {
			t.Errorf("forbidden dependency %s", dep)
			continue
		}
		ok := false
		for _, a := range allowed {
			if dep == a || strings.HasPrefix(dep, a+"/") {
				ok = true
			}
		}
		if !ok {
			t.Errorf("dependency %s is outside the allowed set (stdlib, go-jose v4, x/oauth2)", dep)
		}
	}
	if seen == 0 {
		t.Fatal("go list reported no dependencies; the check would pass vacuously")
	}
}
