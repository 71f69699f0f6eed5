package postgres

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/credo-dev/credo/store"
	"github.com/credo-dev/credo/store/internal/sqlstore"
	"github.com/credo-dev/credo/store/storetest"
)

func TestLoad100k(t *testing.T)      { storetest.RunLoad100k(t, openSeeded) }
func BenchmarkLoad100k(b *testing.B) { storetest.BenchmarkLoad100k(b, openSeeded) }

// openSeeded opens a Store in a fresh schema holding
// storetest.LoadData(n), written with COPY.
func openSeeded(tb testing.TB, n int) store.Store {
	tb.Helper()
	dsn := os.Getenv("CREDO_TEST_POSTGRES")
	if dsn == "" {
		tb.Skip("CREDO_TEST_POSTGRES not set: skipping PostgreSQL load benchmark")
	}
	schema := fmt.Sprintf("credo_load_%d", time.Now().UnixNano())
	ctx := tb.Context()
	s, err := Open(ctx, dsn, Options{Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			tb.Error(err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			tb.Error(err)
		}
	})
	rs, clients, grants := storetest.LoadData(n)
	bulks, err := sqlstore.Encode([]store.ResourceServer{rs}, clients, grants)
	if err != nil {
		tb.Fatal(err)
	}
	err = s.db.tx(ctx, readWrite, func(tx pgx.Tx) error {
		for _, b := range bulks {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{b.Table}, b.Columns, pgx.CopyFromRows(b.Rows)); err != nil {
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
