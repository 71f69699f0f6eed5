package sqlstore

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/credo-dev/credo/store"
)

// logColumns are the columns of logs and audit_log that a log query tests.
var logColumns = map[store.LogField]string{
	store.LogFieldID:          "id",
	store.LogFieldType:        "type",
	store.LogFieldDescription: "description",
	store.LogFieldClientID:    "client_id",
	store.LogFieldClientName:  "client_name",
	store.LogFieldIP:          "ip",
	store.LogFieldUserAgent:   "user_agent",
	store.LogFieldHostname:    "hostname",
	store.LogFieldAudience:    "audience",
	store.LogFieldScope:       "scope",
}

// maxQueryNodes bounds the size of a compiled log query.
const maxQueryNodes = 200

// logWhere compiles a log query to an SQL condition whose bind parameters
// follow the n already in args. Matching is exact and case-sensitive on
// both backends (a prefix test compares a substring, not LIKE, whose case
// rules differ between SQLite and PostgreSQL); a missing value is "".
type logWhere struct {
	args  []any
	nodes int
}

func (w *logWhere) param(v any) string {
	w.args = append(w.args, v)
	return param(len(w.args))
}

func (w *logWhere) compile(q *store.LogQuery) (string, error) {
	if w.nodes++; w.nodes > maxQueryNodes {
		return "", fmt.Errorf("store: log query has more than %d terms", maxQueryNodes)
	}
	switch q.Op {
	case store.LogNothing:
		return "1 = 0", nil
	case store.LogMatch:
		col, ok := logColumns[q.Field]
		if !ok {
			return "", fmt.Errorf("store: log query: field %q cannot be matched", q.Field)
		}
		expr := "COALESCE(" + col + ", '')"
		if q.Prefix {
			if q.Value == "" {
				return "1 = 1", nil
			}
			n := utf8.RuneCountInString(q.Value)
			return "substr(" + expr + ", 1, " + w.param(n) + ") = " + w.param(q.Value), nil
		}
		return expr + " = " + w.param(q.Value), nil
	case store.LogRange:
		if q.Field != store.LogFieldDate {
			return "", fmt.Errorf("store: log query: field %q has no range", q.Field)
		}
		var conds []string
		if !q.From.IsZero() {
			op := " >= "
			if q.FromExcl {
				op = " > "
			}
			conds = append(conds, "date_ms"+op+w.param(q.From.UnixMilli()))
		}
		if !q.To.IsZero() {
			op := " <= "
			if q.ToExcl {
				op = " < "
			}
			conds = append(conds, "date_ms"+op+w.param(q.To.UnixMilli()))
		}
		if len(conds) == 0 {
			return "1 = 1", nil
		}
		return "(" + strings.Join(conds, " AND ") + ")", nil
	case store.LogNot:
		if len(q.Args) != 1 {
			return "", fmt.Errorf("store: log query: NOT takes one operand")
		}
		s, err := w.compile(q.Args[0])
		if err != nil {
			return "", err
		}
		return "NOT (" + s + ")", nil
	case store.LogAnd, store.LogOr:
		if len(q.Args) == 0 {
			return "", fmt.Errorf("store: log query: empty AND/OR")
		}
		parts := make([]string, len(q.Args))
		for i, a := range q.Args {
			s, err := w.compile(a)
			if err != nil {
				return "", err
			}
			parts[i] = "(" + s + ")"
		}
		sep := " AND "
		if q.Op == store.LogOr {
			sep = " OR "
		}
		return strings.Join(parts, sep), nil
	}
	return "", fmt.Errorf("store: log query: unknown operator %d", q.Op)
}
