package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/credo-dev/credo/store"
)

// defaultLimit is the page size when store.Page.Limit is 0.
const defaultLimit = 50

// table maps one kind of value to its table: the key column, further
// columns that are indexed or constrained, and a JSON doc with the value.
type table[T any] struct {
	name string   // table name
	what string   // the kind of value, for error messages
	cols []string // key column first
	// key points at the value's key field.
	key func(v *T) *string
	// columns returns the values of cols after the key, for writing.
	columns func(v *T) []any
	// restore sets fields from the stored cols (key included) after the doc
	// is decoded; the columns win over the doc. Nil sets the key only.
	restore func(v *T, cols []string)
	// kind is what the change log calls a write of this table.
	kind store.ChangeKind
	// client, when set, names the client a value belongs to, for the change
	// log's client_id.
	client func(v *T) string
}

// change is the change-log entry of a write of v.
func (tb *table[T]) change(v *T) store.Change {
	return store.Change{Kind: tb.kind, ID: *tb.key(v), ClientID: tb.clientOf(v)}
}

// clientOf is the client v belongs to, or "" when tb has no client column.
func (tb *table[T]) clientOf(v *T) string {
	if tb.client == nil {
		return ""
	}
	return tb.client(v)
}

func (tb *table[T]) selectFrom() string {
	return "SELECT " + strings.Join(tb.cols, ", ") + ", doc FROM " + tb.name
}

// row returns v's column values, doc last, as insert writes them.
func (tb *table[T]) row(v *T) ([]any, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(append([]any{*tb.key(v)}, tb.columns(v)...), doc), nil
}

// decode fills v from its stored columns and document.
func (tb *table[T]) decode(v *T, cols []string, doc []byte) error {
	if err := json.Unmarshal(doc, v); err != nil {
		return fmt.Errorf("store: decode %s %q: %w", tb.what, cols[0], err)
	}
	if tb.restore != nil {
		tb.restore(v, cols)
	} else {
		*tb.key(v) = cols[0]
	}
	return nil
}

// scanInto decodes one row of selectFrom's columns (preceded by extra
// destinations, if any) into v.
func (tb *table[T]) scanInto(r Row, v *T, extra ...any) error {
	vals := make([]string, len(tb.cols))
	dest := make([]any, 0, len(extra)+len(vals)+1)
	dest = append(dest, extra...)
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	var doc []byte
	dest = append(dest, &doc)
	if err := r.Scan(dest...); err != nil {
		return err
	}
	return tb.decode(v, vals, doc)
}

// get returns the value matching where, or store.ErrNotFound naming want.
func (tb *table[T]) get(ctx context.Context, q Querier, want, where string, args ...any) (T, error) {
	var v T
	err := tb.scanInto(q.QueryRow(ctx, tb.selectFrom()+" WHERE "+where, args...), &v)
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound(tb.what, want)
	}
	return v, err
}

// all returns the values matching where (everything if where is ""),
// ordered by key.
func (tb *table[T]) all(ctx context.Context, q Querier, where string, args ...any) ([]T, error) {
	return tb.query(ctx, q, tb.selectFrom()+whereClause(where)+" ORDER BY "+tb.cols[0], args...)
}

// query runs a query over selectFrom's columns. Rows are read first and
// their documents decoded afterwards, in parallel when there are many: JSON
// decoding is most of the cost of a full Load.
func (tb *table[T]) query(ctx context.Context, q Querier, query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ncols := len(tb.cols)
	var cols []string // ncols per row
	var docs [][]byte
	vals := make([]string, ncols)
	dest := make([]any, ncols+1)
	for i := range vals {
		dest[i] = &vals[i]
	}
	var doc []byte
	dest[ncols] = &doc
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		cols = append(cols, vals...)
		docs = append(docs, doc)
		doc = nil // the next row's document gets its own array
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, nil
	}
	out := make([]T, len(docs))
	err = parallel(len(docs), func(i int) error {
		return tb.decode(&out[i], cols[i*ncols:(i+1)*ncols], docs[i])
	})
	return out, err
}

// parallel calls fn for 0..n-1, spread over GOMAXPROCS goroutines when n is
// large enough to be worth it, and returns the first error.
func parallel(n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n/256+1)
	if workers <= 1 {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// page returns, in one snapshot, one page of the values matching where
// (which numbers its args from $1), ordered by key, and the number of all
// matching values.
func (tb *table[T]) page(ctx context.Context, s *Store, where string, args []any, p store.Page) ([]T, int, error) {
	limit, offset := bounds(p)
	var out []T
	var total int
	err := s.db.Read(ctx, func(q Querier) error {
		if err := q.QueryRow(ctx, "SELECT count(*) FROM "+tb.name+whereClause(where), args...).Scan(&total); err != nil {
			return err
		}
		n := len(args)
		var err error
		out, err = tb.query(ctx, q, tb.selectFrom()+whereClause(where)+" ORDER BY "+tb.cols[0]+
			" LIMIT "+param(n+1)+" OFFSET "+param(n+2), append(args[:n:n], limit, offset)...)
		return err
	})
	return out, total, err
}

// bounds returns the LIMIT and OFFSET for p.
func bounds(p store.Page) (limit, offset int) {
	limit, offset = p.Limit, max(p.Offset, 0)
	if limit <= 0 {
		limit = defaultLimit
	}
	return limit, offset
}

func whereClause(where string) string {
	if where == "" {
		return ""
	}
	return " WHERE " + where
}

// param returns the bind parameter of the i-th argument: $i.
func param(i int) string { return "$" + strconv.Itoa(i) }

// params returns "$1, $2, …, $n".
func params(n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = param(i + 1)
	}
	return strings.Join(ps, ", ")
}

// insert writes v as a new row; a duplicate key or unique column is
// store.ErrConflict.
func (tb *table[T]) insert(ctx context.Context, q Querier, v *T) error {
	if *tb.key(v) == "" {
		return fmt.Errorf("store: %s has an empty %s", tb.what, tb.cols[0])
	}
	row, err := tb.row(v)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, "INSERT INTO "+tb.name+" ("+strings.Join(tb.cols, ", ")+", doc) VALUES ("+params(len(row))+")", row...)
	return err
}

// replace overwrites the row with v's key.
func (tb *table[T]) replace(ctx context.Context, q Querier, v *T) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var set strings.Builder
	for i, c := range tb.cols[1:] {
		set.WriteString(c + " = " + param(i+1) + ", ")
	}
	n := len(tb.cols)
	args := append(tb.columns(v), doc, *tb.key(v))
	_, err = q.Exec(ctx, "UPDATE "+tb.name+" SET "+set.String()+"doc = "+param(n)+" WHERE "+tb.cols[0]+" = "+param(n+1), args...)
	return err
}

// create inserts v in a write transaction; check, if set, runs first.
func (tb *table[T]) create(ctx context.Context, s *Store, v T, check func(Querier, *T) error) error {
	o := &writeOp{}
	return s.write(ctx, o, func(q Querier) error {
		if check != nil {
			if err := check(q, &v); err != nil {
				return err
			}
		}
		o.ch = tb.change(&v)
		if audited(ctx) {
			o.after = &v
		}
		return tb.insert(ctx, q, &v)
	})
}

// update reads (and where the dialect says so, locks) the value with key,
// applies fn, keeps the key, runs check (if set) and writes it back, all in
// one write transaction.
func (tb *table[T]) update(ctx context.Context, s *Store, key string, fn func(*T) error, check func(Querier, *T) error) (T, error) {
	var out T
	o := &writeOp{}
	err := s.write(ctx, o, func(q Querier) error {
		v, err := tb.get(ctx, q, key, tb.cols[0]+" = $1"+s.dialect.ForUpdate, key)
		if err != nil {
			return err
		}
		o.before = snapshotDoc(ctx, &v)
		before := tb.clientOf(&v)
		if err := fn(&v); err != nil {
			return err
		}
		*tb.key(&v) = key
		if check != nil {
			if err := check(q, &v); err != nil {
				return err
			}
		}
		if err := tb.replace(ctx, q, &v); err != nil {
			return err
		}
		o.ch = tb.change(&v)
		if o.ch.ClientID != before {
			o.ch.ClientID = "" // two clients changed
		}
		if o.before != nil {
			o.after = &v
		}
		out = v
		return nil
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// remove deletes the row with key (foreign keys cascade) or returns
// store.ErrNotFound.
func (tb *table[T]) remove(ctx context.Context, s *Store, key string) error {
	o := op(store.Change{Kind: tb.kind, ID: key})
	return s.write(ctx, o, func(q Querier) error {
		if tb.client != nil || audited(ctx) {
			v, err := tb.get(ctx, q, key, tb.cols[0]+" = $1"+s.dialect.ForUpdate, key)
			if err != nil {
				return err
			}
			o.ch.ClientID = tb.clientOf(&v)
			if audited(ctx) {
				o.before = &v
			}
		}
		n, err := q.Exec(ctx, "DELETE FROM "+tb.name+" WHERE "+tb.cols[0]+" = $1", key)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound(tb.what, key)
		}
		return nil
	})
}

// exists reports store.ErrNotFound unless tb has a row where col = val.
func (tb *table[T]) exists(ctx context.Context, q Querier, col, val string) error {
	var one int
	err := q.QueryRow(ctx, "SELECT 1 FROM "+tb.name+" WHERE "+col+" = $1", val).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(tb.what, val)
	}
	return err
}

func notFound(what, key string) error {
	return fmt.Errorf("%w: %s %q", store.ErrNotFound, what, key)
}
