package hook

import (
	"runtime/metrics"
	"testing"
	"time"

	"github.com/dop251/goja"
)

func BenchmarkScratchNew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r := goja.New()
		_ = r
	}
}

func BenchmarkScratchMetrics(b *testing.B) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	for i := 0; i < b.N; i++ {
		metrics.Read(s)
	}
}

func TestScratchSparse(t *testing.T) {
	for _, src := range []string{
		`var a = new Array(2**32-1); a.length`,
		`var a = []; a[2**32-2] = 1; a.length`,
		`var a = []; a[2**25] = 1; a.join('').length`,
		`var a = []; a[2**25] = 1; a.indexOf(5)`,
		`var a = []; a[2**25] = 1; [...a].length`,
		`var a = []; a[2**22] = 1; a.forEach(()=>{}); 1`,
	} {
		r := goja.New()
		st := time.Now()
		v, err := r.RunString(src)
		t.Logf("%s => %v %v in %v", src, v, err, time.Since(st))
	}
}
