package sqlstore

import (
	"fmt"
	"slices"
	"strings"

	"github.com/credo-dev/credo/store"
)

// Bulk is values of one kind as rows of their table, the way Create writes
// them. It serves bulk loads that bypass the Store's one transaction per
// value, such as the backends' 100,000-client Load benchmarks (Insert with
// Querier.ExecEach on SQLite, COPY on PostgreSQL).
type Bulk struct {
	Table   string
	Columns []string // key column first, doc last
	Rows    [][]any  // one per value, in Columns order
}

// Insert is the statement that writes one of b's rows.
func (b Bulk) Insert() string {
	return "INSERT INTO " + b.Table + " (" + strings.Join(b.Columns, ", ") + ") VALUES (" + params(len(b.Columns)) + ")"
}

// Encode encodes each of lists, which are slices of store.Client,
// ResourceServer, ClientGrant, SigningKey, Action or Hook, into one Bulk.
func Encode(lists ...any) ([]Bulk, error) {
	out := make([]Bulk, len(lists))
	for i, l := range lists {
		var err error
		switch l := l.(type) {
		case []store.Client:
			out[i], err = clients.bulk(l)
		case []store.ResourceServer:
			out[i], err = resourceServers.bulk(l)
		case []store.ClientGrant:
			out[i], err = clientGrants.bulk(l)
		case []store.SigningKey:
			out[i], err = signingKeys.bulk(l)
		case []store.Action:
			out[i], err = actions.bulk(l)
		case []store.Hook:
			out[i], err = hooks.bulk(l)
		default:
			err = fmt.Errorf("store: no table holds %T", l)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (tb *table[T]) bulk(vs []T) (Bulk, error) {
	b := Bulk{Table: tb.name, Columns: append(slices.Clone(tb.cols), "doc"), Rows: make([][]any, len(vs))}
	for i := range vs {
		var err error
		if b.Rows[i], err = tb.row(&vs[i]); err != nil {
			return Bulk{}, err
		}
	}
	return b, nil
}
