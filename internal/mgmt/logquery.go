package mgmt

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/credo-dev/credo/store"
)

// Log search (GET /api/v2/logs?q=…): the subset of Lucene query syntax
// that Auth0 documents for logs ("Log Search Query Syntax") and that its
// users write:
//
//	type:seccft                       a field's exact value (case-sensitive)
//	client_name:"Billing batch"       a quoted value (spaces, : and the like)
//	client_id:abc*                    a prefix
//	type:(seccft OR feccft)           a group under one field
//	date:[2026-01-01 TO 2026-01-31]   a date range ([ ] inclusive, { } exclusive, * open);
//	date:2026-01-31                   one day (a date-only upper bound includes its day)
//	a AND b, a OR b, NOT a, -a, (…)   operators; adjacent terms are joined by AND
//	Unauthorized                      a bare term matches description, type, client_id or client_name
//
// Fields: log_id (and _id), date, type, description, client_id,
// client_name, ip, user_agent, hostname, audience, scope. Auth0's fields
// that no M2M event of credo's carries (user_id, user_name, connection,
// connection_id, strategy, strategy_type, organization_id) are accepted
// and match nothing. Anything else is 400 invalid_query_string naming the
// problem and its position.

// Bounds on a query.
const (
	maxQueryLen   = 2048
	maxQueryDepth = 32
	maxQueryTerms = 100
)

var logFields = map[string]store.LogField{
	"log_id": store.LogFieldID, "_id": store.LogFieldID, "date": store.LogFieldDate, "type": store.LogFieldType,
	"description": store.LogFieldDescription, "client_id": store.LogFieldClientID, "client_name": store.LogFieldClientName,
	"ip": store.LogFieldIP, "user_agent": store.LogFieldUserAgent, "hostname": store.LogFieldHostname,
	"audience": store.LogFieldAudience, "scope": store.LogFieldScope,
}

// absentFields are Auth0 log fields credo's events never carry.
var absentFields = map[string]bool{"user_id": true, "user_name": true, "connection": true, "connection_id": true,
	"strategy": true, "strategy_type": true, "organization_id": true, "organization_name": true}

// bareFields are what a term without a field matches.
var bareFields = []store.LogField{store.LogFieldDescription, store.LogFieldType, store.LogFieldClientID, store.LogFieldClientName}

// QueryError is a log search that does not parse.
type QueryError struct {
	Pos int
	Msg string
}

func (e *QueryError) Error() string { return fmt.Sprintf("%s at position %d", e.Msg, e.Pos) }

// ParseLogQuery parses a log search. An empty or blank q is nil: every event.
func ParseLogQuery(q string) (*store.LogQuery, error) {
	if len(q) > maxQueryLen {
		return nil, &QueryError{maxQueryLen, fmt.Sprintf("query longer than %d bytes", maxQueryLen)}
	}
	if !utf8.ValidString(q) {
		return nil, &QueryError{0, "query is not valid UTF-8"}
	}
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	if len(toks) == 1 { // only the end
		return nil, nil
	}
	p := &qparser{toks: toks}
	n, err := p.or("")
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEnd {
		return nil, &QueryError{t.pos, fmt.Sprintf("unexpected %s", t)}
	}
	return n, nil
}

type tkind int

const (
	tEnd tkind = iota
	tWord
	tQuoted
	tLParen
	tRParen
	tLBracket // [ or {
	tRBracket // ] or }
	tColon
	tAnd
	tOr
	tNot
	tMinus
)

type qtoken struct {
	kind tkind
	text string // word or quoted value (unescaped); bracket character
	pos  int
	star bool // a word that ended in an unescaped *
}

func (t qtoken) String() string {
	switch t.kind {
	case tEnd:
		return "end of query"
	case tQuoted:
		return fmt.Sprintf("%q", t.text)
	}
	if t.text != "" {
		return "'" + t.text + "'"
	}
	return "token"
}

// special ends an unquoted word; rangeSpecial inside a range.
const (
	special      = " \t\r\n()[]{}:\""
	rangeSpecial = " \t\r\n()[]{}\""
)

func lex(q string) ([]qtoken, error) {
	var out []qtoken
	inRange := false // inside [ ], a time's colons are part of the word
	for i := 0; i < len(q); {
		c := q[i]
		ends := special
		if inRange {
			ends = rangeSpecial
		}
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(':
			out = append(out, qtoken{kind: tLParen, text: "(", pos: i})
			i++
		case c == ')':
			out = append(out, qtoken{kind: tRParen, text: ")", pos: i})
			i++
		case c == '[' || c == '{':
			out = append(out, qtoken{kind: tLBracket, text: string(c), pos: i})
			inRange = true
			i++
		case c == ']' || c == '}':
			out = append(out, qtoken{kind: tRBracket, text: string(c), pos: i})
			inRange = false
			i++
		case c == ':':
			out = append(out, qtoken{kind: tColon, text: ":", pos: i})
			i++
		case c == '"':
			start := i
			var b strings.Builder
			i++
			for {
				if i >= len(q) {
					return nil, &QueryError{start, "unterminated quoted value"}
				}
				if q[i] == '\\' && i+1 < len(q) {
					b.WriteByte(q[i+1])
					i += 2
					continue
				}
				if q[i] == '"' {
					i++
					break
				}
				b.WriteByte(q[i])
				i++
			}
			out = append(out, qtoken{kind: tQuoted, text: b.String(), pos: start})
		case c == '-' && (len(out) == 0 || out[len(out)-1].kind != tColon):
			out = append(out, qtoken{kind: tMinus, text: "-", pos: i})
			i++
		case c == '!':
			out = append(out, qtoken{kind: tNot, text: "!", pos: i})
			i++
		case strings.HasPrefix(q[i:], "&&"):
			out = append(out, qtoken{kind: tAnd, text: "&&", pos: i})
			i += 2
		case strings.HasPrefix(q[i:], "||"):
			out = append(out, qtoken{kind: tOr, text: "||", pos: i})
			i += 2
		default:
			start := i
			var b strings.Builder
			star := false
			for i < len(q) && !strings.ContainsRune(ends, rune(q[i])) {
				if q[i] == '\\' {
					if i+1 >= len(q) {
						return nil, &QueryError{i, "a backslash at the end escapes nothing"}
					}
					b.WriteByte(q[i+1])
					i += 2
					star = false
					continue
				}
				if q[i] == '*' && (i+1 == len(q) || strings.ContainsRune(ends, rune(q[i+1]))) {
					star = true
					i++
					break
				}
				if q[i] == '*' || q[i] == '?' {
					return nil, &QueryError{i, "wildcards are supported only at the end of a value (prefix*)"}
				}
				b.WriteByte(q[i])
				i++
			}
			w := b.String()
			t := qtoken{kind: tWord, text: w, pos: start, star: star}
			if !star {
				switch w {
				case "AND":
					t.kind = tAnd
				case "OR":
					t.kind = tOr
				case "NOT":
					t.kind = tNot
				}
			}
			out = append(out, t)
		}
	}
	return append(out, qtoken{kind: tEnd, pos: len(q)}), nil
}

type qparser struct {
	toks  []qtoken
	i     int
	depth int
	terms int
}

func (p *qparser) peek() qtoken { return p.toks[p.i] }
func (p *qparser) next() qtoken {
	t := p.toks[p.i]
	if t.kind != tEnd {
		p.i++
	}
	return t
}

// or parses clauses joined by OR; field is the field of an enclosing
// field:( … ) group ("" outside one).
func (p *qparser) or(field string) (*store.LogQuery, error) {
	first, err := p.and(field)
	if err != nil {
		return nil, err
	}
	args := []*store.LogQuery{first}
	for p.peek().kind == tOr {
		p.next()
		n, err := p.and(field)
		if err != nil {
			return nil, err
		}
		args = append(args, n)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &store.LogQuery{Op: store.LogOr, Args: args}, nil
}

// and parses clauses joined by AND or by nothing (the default operator).
func (p *qparser) and(field string) (*store.LogQuery, error) {
	first, err := p.unary(field)
	if err != nil {
		return nil, err
	}
	args := []*store.LogQuery{first}
	for {
		switch p.peek().kind {
		case tAnd:
			p.next()
		case tWord, tQuoted, tLParen, tNot, tMinus:
		default:
			if len(args) == 1 {
				return first, nil
			}
			return &store.LogQuery{Op: store.LogAnd, Args: args}, nil
		}
		n, err := p.unary(field)
		if err != nil {
			return nil, err
		}
		args = append(args, n)
	}
}

func (p *qparser) unary(field string) (*store.LogQuery, error) {
	if k := p.peek().kind; k == tNot || k == tMinus {
		p.next()
		n, err := p.unary(field)
		if err != nil {
			return nil, err
		}
		return &store.LogQuery{Op: store.LogNot, Args: []*store.LogQuery{n}}, nil
	}
	return p.primary(field)
}

func (p *qparser) group(field string) (*store.LogQuery, error) {
	open := p.next()
	if p.depth++; p.depth > maxQueryDepth {
		return nil, &QueryError{open.pos, fmt.Sprintf("more than %d nested groups", maxQueryDepth)}
	}
	n, err := p.or(field)
	if err != nil {
		return nil, err
	}
	p.depth--
	if t := p.next(); t.kind != tRParen {
		return nil, &QueryError{t.pos, fmt.Sprintf("expected ')' to close the '(' at position %d, found %s", open.pos, t)}
	}
	return n, nil
}

func (p *qparser) primary(field string) (*store.LogQuery, error) {
	t := p.peek()
	switch t.kind {
	case tLParen:
		return p.group(field)
	case tWord, tQuoted:
	case tLBracket:
		if field != "" {
			return p.rangeTerm(field)
		}
		return nil, &QueryError{t.pos, "a range needs a field (date:[A TO B])"}
	default:
		return nil, &QueryError{t.pos, fmt.Sprintf("expected a term, found %s", t)}
	}
	p.next()
	if p.terms++; p.terms > maxQueryTerms {
		return nil, &QueryError{t.pos, fmt.Sprintf("more than %d terms", maxQueryTerms)}
	}
	if t.kind == tWord && p.peek().kind == tColon {
		if field != "" {
			return nil, &QueryError{t.pos, "a field inside a field group"}
		}
		p.next()
		name := t.text
		if _, ok := logFields[name]; !ok && !absentFields[name] {
			return nil, &QueryError{t.pos, fmt.Sprintf("unknown field '%s' (searchable: log_id, date, type, description, client_id, client_name, ip, user_agent, hostname, audience, scope)", name)}
		}
		v := p.peek()
		switch v.kind {
		case tLParen:
			n, err := p.group(name)
			if err != nil {
				return nil, err
			}
			return n, nil
		case tLBracket:
			return p.rangeTerm(name)
		case tWord, tQuoted:
			p.next()
			return term(name, v)
		}
		return nil, &QueryError{v.pos, fmt.Sprintf("expected a value after '%s:', found %s", name, v)}
	}
	if field != "" {
		return term(field, t)
	}
	args := make([]*store.LogQuery, len(bareFields))
	for i, f := range bareFields {
		args[i] = &store.LogQuery{Op: store.LogMatch, Field: f, Value: t.text, Prefix: t.star}
	}
	return &store.LogQuery{Op: store.LogOr, Args: args}, nil
}

// term is field:value.
func term(name string, v qtoken) (*store.LogQuery, error) {
	if absentFields[name] {
		return &store.LogQuery{Op: store.LogNothing}, nil
	}
	f := logFields[name]
	if f == store.LogFieldDate {
		if v.star {
			return nil, &QueryError{v.pos, "a date cannot be a prefix; use date:[A TO B]"}
		}
		from, exact, err := parseDate(v.text)
		if err != nil {
			return nil, &QueryError{v.pos, err.Error()}
		}
		to := from
		if !exact {
			to = from.AddDate(0, 0, 1)
		}
		return &store.LogQuery{Op: store.LogRange, Field: f, From: from, To: to, ToExcl: !exact}, nil
	}
	return &store.LogQuery{Op: store.LogMatch, Field: f, Value: v.text, Prefix: v.star}, nil
}

// rangeTerm is field:[A TO B] (or with { } for exclusive bounds).
func (p *qparser) rangeTerm(name string) (*store.LogQuery, error) {
	open := p.next()
	if logFields[name] != store.LogFieldDate && !absentFields[name] {
		return nil, &QueryError{open.pos, fmt.Sprintf("only date has ranges, not '%s'", name)}
	}
	lo := p.next()
	if lo.kind != tWord && lo.kind != tQuoted {
		return nil, &QueryError{lo.pos, fmt.Sprintf("expected the start of the range, found %s", lo)}
	}
	if to := p.next(); to.kind != tWord || to.text != "TO" {
		return nil, &QueryError{to.pos, fmt.Sprintf("expected TO in the range, found %s", to)}
	}
	hi := p.next()
	if hi.kind != tWord && hi.kind != tQuoted {
		return nil, &QueryError{hi.pos, fmt.Sprintf("expected the end of the range, found %s", hi)}
	}
	cl := p.next()
	if cl.kind != tRBracket {
		return nil, &QueryError{cl.pos, fmt.Sprintf("expected ] or } to close the range, found %s", cl)}
	}
	if absentFields[name] {
		return &store.LogQuery{Op: store.LogNothing}, nil
	}
	q := &store.LogQuery{Op: store.LogRange, Field: store.LogFieldDate, FromExcl: open.text == "{", ToExcl: cl.text == "}"}
	if !(lo.kind == tWord && lo.text == "" && lo.star) {
		t, _, err := parseDate(lo.text)
		if err != nil {
			return nil, &QueryError{lo.pos, err.Error()}
		}
		q.From = t
	}
	if !(hi.kind == tWord && hi.text == "" && hi.star) {
		t, exact, err := parseDate(hi.text)
		if err != nil {
			return nil, &QueryError{hi.pos, err.Error()}
		}
		if !exact && !q.ToExcl {
			t, q.ToExcl = t.AddDate(0, 0, 1), true // through the end of that day
		}
		q.To = t
	}
	return q, nil
}

// parseDate reads an RFC 3339 time (exact) or a YYYY-MM-DD day (UTC).
func parseDate(s string) (t time.Time, exact bool, err error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true, nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return t, true, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, false, nil
	}
	return time.Time{}, false, fmt.Errorf("'%s' is not a date (YYYY-MM-DD or RFC 3339)", s)
}
