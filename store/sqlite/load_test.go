package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/internal/sqlstore"
	"github.com/credo-dev/credo/store/storetest"
)

func TestLoad100k(t *testing.T)      { storetest.RunLoad100k(t, openSeeded) }
func BenchmarkLoad100k(b *testing.B) { storetest.BenchmarkLoad100k(b, openSeeded) }

// openSeeded opens a Store holding storetest.LoadData(n), written in one
// transaction of prepared INSERTs.
func openSeeded(tb testing.TB, n int) store.Store {
	tb.Helper()
	ctx := tb.Context()
	s, err := Open(ctx, filepath.Join(tb.TempDir(), "credo.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	rs, clients, grants := storetest.LoadData(n)
	bulks, err := sqlstore.Encode([]store.ResourceServer{rs}, clients, grants)
	if err != nil {
		tb.Fatal(err)
	}
	err = s.db.Write(ctx, func(q sqlstore.Querier) error {
		for _, b := range bulks {
			if err := q.ExecEach(ctx, b.Insert(), b.Rows); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
