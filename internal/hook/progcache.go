package hook

import (
	"container/list"
	"crypto/sha256"
	"sync"
)

// Bounds of the process-wide cache of compiled code. A compiled program
// holds about 15 times its source in memory (1.5 MB for a generated 98 kB
// action), so 2 MiB of cached code costs at most about 30 MB beyond the
// programs snapshots use anyway.
const (
	maxCachedPrograms = 256
	maxCachedCode     = 2 << 20 // bytes of source
)

// compiled caches compileCode by the hash of a script's kind and code.
var compiled = newProgramCache(maxCachedPrograms, maxCachedCode)

type cacheKey [sha256.Size]byte

// programCache is a least-recently-used cache of compiled code. Concurrent
// compilations of the same code wait for the first one. Code that fails to
// compile is not kept.
type programCache struct {
	maxEntries, maxBytes int

	mu    sync.Mutex
	byKey map[cacheKey]*list.Element // of *cachedProgram
	lru   list.List                  // front is the most recently used
	bytes int                        // code bytes of the entries in lru
	// compiles counts calls to compileCode, for tests.
	compiles int
}

type cachedProgram struct {
	key  cacheKey
	size int
	done chan struct{} // closed when code and err are set
	code *compiledCode
	err  *CompileError
}

func newProgramCache(maxEntries, maxBytes int) *programCache {
	return &programCache{maxEntries: maxEntries, maxBytes: maxBytes, byKey: make(map[cacheKey]*list.Element)}
}

// get returns the compiled form of code, compiling it on a miss. The
// CompileError is a fresh copy the caller may change.
func (c *programCache) get(kind Kind, code string) (*compiledCode, *CompileError) {
	h := sha256.New()
	h.Write([]byte{byte(kind)})
	h.Write([]byte(code))
	var key cacheKey
	h.Sum(key[:0])

	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		e := el.Value.(*cachedProgram)
		c.lru.MoveToFront(el)
		c.mu.Unlock()
		<-e.done
		if e.err != nil {
			err := *e.err
			return nil, &err
		}
		return e.code, nil
	}
	e := &cachedProgram{key: key, size: len(code), done: make(chan struct{})}
	el := c.lru.PushFront(e)
	c.byKey[key] = el
	c.bytes += e.size
	c.compiles++
	c.mu.Unlock()

	e.code, e.err = compileCode(kind, code)
	close(e.done)

	c.mu.Lock()
	if e.err != nil {
		c.remove(e)
	}
	c.evict()
	c.mu.Unlock()
	if e.err != nil {
		err := *e.err
		return nil, &err
	}
	return e.code, nil
}

// remove drops e if it is still cached. c.mu is held.
func (c *programCache) remove(e *cachedProgram) {
	if el, ok := c.byKey[e.key]; ok && el.Value == e {
		c.lru.Remove(el)
		delete(c.byKey, e.key)
		c.bytes -= e.size
	}
}

// evict drops the least recently used compiled entries until the bounds
// hold; entries still compiling stay. c.mu is held.
func (c *programCache) evict() {
	for el := c.lru.Back(); el != nil && (c.lru.Len() > c.maxEntries || c.bytes > c.maxBytes); {
		prev := el.Prev()
		e := el.Value.(*cachedProgram)
		select {
		case <-e.done:
			c.remove(e)
		default:
		}
		el = prev
	}
}
