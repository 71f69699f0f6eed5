package hook

import (
	"testing"
	"time"

	"github.com/dop251/goja"
)

func TestScratch3(t *testing.T) {
	for _, src := range []string{
		`JSON.parse('['.repeat(1e6) + ']'.repeat(1e6)).length`,
		`JSON.parse('['.repeat(1e7) + ']'.repeat(1e7)).length`,
	} {
		r := goja.New()
		st := time.Now()
		v, err := r.RunString(src)
		t.Logf("%.60s => %v %v in %v", src, v, err, time.Since(st))
	}
}
