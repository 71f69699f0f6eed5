package hook

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestCompileCache checks that Compile compiles each distinct code once:
// scripts with the same kind and code share the compiled form whatever
// their ID, name and secrets, and keep their own identity.
func TestCompileCache(t *testing.T) {
	code := fmt.Sprintf("// %s\nexports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://x/s', event.secrets.K); };", t.Name())
	compiles := func() int {
		compiled.mu.Lock()
		defer compiled.mu.Unlock()
		return compiled.compiles
	}
	before := compiles()
	var wg sync.WaitGroup
	progs := make([]*Program, 8)
	for i := range progs {
		wg.Go(func() {
			p, err := Compile(Script{ID: fmt.Sprint("id-", i), Name: fmt.Sprint("name-", i), Kind: KindAction, Code: code,
				Secrets: map[string]string{"K": fmt.Sprint(i)}})
			if err != nil {
				t.Error(err)
			}
			progs[i] = p
		})
	}
	wg.Wait()
	if n := compiles() - before; n != 1 {
		t.Fatalf("compiled %d times, want once", n)
	}
	rt := New(Options{})
	for i, p := range progs {
		if p.prg != progs[0].prg {
			t.Fatalf("program %d has its own compiled form", i)
		}
		res, err := rt.Run(t.Context(), []*Program{p}, testEvent())
		if err != nil || res.CustomClaims["https://x/s"] != fmt.Sprint(i) || p.ID() != fmt.Sprint("id-", i) {
			t.Fatalf("program %d: %v, %v", i, res, err)
		}
	}
	// The same code as a Hook is another entry.
	if _, err := Compile(Script{ID: "h", Kind: KindHook, Code: code}); err != nil {
		t.Fatal(err)
	}
	if n := compiles() - before; n != 2 {
		t.Fatalf("compiled %d times, want twice", n)
	}
	// Errors are not kept, and each caller gets its own.
	bad := "let a; let a; // " + t.Name()
	for i := range 2 {
		_, err := Compile(Script{ID: "b", Name: fmt.Sprint("bad-", i), Code: bad})
		var ce *CompileError
		if !errors.As(err, &ce) || ce.Script != fmt.Sprint("bad-", i) {
			t.Fatalf("err = %#v", err)
		}
	}
	if n := compiles() - before; n != 4 {
		t.Fatalf("compiled %d times, want 4 (failures are not cached)", n)
	}
}

// TestProgramCacheBounds checks the least-recently-used eviction by
// entries and by code bytes.
func TestProgramCacheBounds(t *testing.T) {
	c := newProgramCache(3, 100)
	src := func(i, size int) string {
		s := fmt.Sprintf("x%d = 1;", i)
		return s + strings.Repeat(" ", size-len(s))
	}
	get := func(i, size int) {
		t.Helper()
		if _, err := c.get(KindAction, src(i, size)); err != nil {
			t.Fatal(err)
		}
	}
	compiles := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.compiles
	}
	// cached reports whether getting i needed no compilation.
	cached := func(i, size int) bool {
		n := compiles()
		get(i, size)
		return compiles() == n
	}
	get(1, 10)
	get(2, 10)
	get(3, 10)
	get(1, 10) // 1 is now the most recently used
	get(4, 10) // evicts 2
	if c.lru.Len() != 3 || c.bytes != 30 {
		t.Fatalf("%d entries, %d bytes", c.lru.Len(), c.bytes)
	}
	if !cached(1, 10) || !cached(4, 10) || !cached(3, 10) {
		t.Fatal("a recently used entry was evicted")
	}
	if cached(2, 10) { // compiles again, evicting 1
		t.Fatal("the least recently used entry was kept")
	}
	get(5, 90) // 90 + 10 + 10 + 10 bytes: evicts the two oldest
	if c.lru.Len() != 2 || c.bytes != 100 {
		t.Fatalf("%d entries, %d bytes, want 2 and 100", c.lru.Len(), c.bytes)
	}
	get(6, 150) // larger than the cache: compiled, not kept
	if c.bytes > 100 {
		t.Fatalf("%d bytes cached, more than 100", c.bytes)
	}
}
