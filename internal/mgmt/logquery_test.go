package mgmt_test

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/mgmt"
	"github.com/credo-dev/credo/store"
)

// show renders a parsed query compactly for comparison.
func show(q *store.LogQuery) string {
	if q == nil {
		return "ALL"
	}
	switch q.Op {
	case store.LogMatch:
		s := string(q.Field) + "=" + q.Value
		if q.Prefix {
			s += "*"
		}
		return s
	case store.LogRange:
		f, t := "*", "*"
		if !q.From.IsZero() {
			f = q.From.UTC().Format(time.RFC3339)
		}
		if !q.To.IsZero() {
			t = q.To.UTC().Format(time.RFC3339)
		}
		l, r := "[", "]"
		if q.FromExcl {
			l = "{"
		}
		if q.ToExcl {
			r = "}"
		}
		return string(q.Field) + l + f + "," + t + r
	case store.LogNothing:
		return "NOTHING"
	case store.LogNot:
		return "NOT(" + show(q.Args[0]) + ")"
	}
	parts := make([]string, len(q.Args))
	for i, a := range q.Args {
		parts[i] = show(a)
	}
	op := "AND"
	if q.Op == store.LogOr {
		op = "OR"
	}
	return op + "(" + strings.Join(parts, " ") + ")"
}

func TestParseLogQuery(t *testing.T) {
	ok := []struct{ q, want string }{
		{"", "ALL"},
		{"   ", "ALL"},
		{"type:seccft", "type=seccft"},
		{`client_name:"Billing batch"`, "client_name=Billing batch"},
		{`client_name:"say \"hi\""`, `client_name=say "hi"`},
		{"client_id:abc*", "client_id=abc*"},
		{"type:seccft AND client_id:c1", "AND(type=seccft client_id=c1)"},
		{"type:seccft client_id:c1", "AND(type=seccft client_id=c1)"},
		{"type:seccft && client_id:c1", "AND(type=seccft client_id=c1)"},
		{"type:seccft OR type:feccft", "OR(type=seccft type=feccft)"},
		{"type:seccft || type:feccft", "OR(type=seccft type=feccft)"},
		{"a:1 OR b:2", ""}, // unknown fields: see the errors
		{"type:(seccft OR feccft)", "OR(type=seccft type=feccft)"},
		{"type:seccft AND (client_id:a OR client_id:b)", "AND(type=seccft OR(client_id=a client_id=b))"},
		{"NOT type:seccft", "NOT(type=seccft)"},
		{"-type:seccft", "NOT(type=seccft)"},
		{"!type:seccft", "NOT(type=seccft)"},
		{"type:feccft AND NOT client_id:c1", "AND(type=feccft NOT(client_id=c1))"},
		{"date:[2026-01-01 TO 2026-01-31]", "date[2026-01-01T00:00:00Z,2026-02-01T00:00:00Z}"},
		{"date:{2026-01-01 TO 2026-01-31}", "date{2026-01-01T00:00:00Z,2026-01-31T00:00:00Z}"},
		{"date:[2026-01-01T10:00:00Z TO *]", "date[2026-01-01T10:00:00Z,*]"},
		{"date:[* TO 2026-01-01T10:00:00+02:00]", "date[*,2026-01-01T08:00:00Z]"},
		{"date:2026-01-31", "date[2026-01-31T00:00:00Z,2026-02-01T00:00:00Z}"},
		{`date:"2026-01-31T10:00:00Z"`, "date[2026-01-31T10:00:00Z,2026-01-31T10:00:00Z]"},
		{"user_id:auth0|123", "NOTHING"},
		{"NOT connection:x", "NOT(NOTHING)"},
		{"_id:900 OR log_id:901", "OR(log_id=900 log_id=901)"},
		{`ip:"2001:db8::1"`, "ip=2001:db8::1"},
		{`ip:2001\:db8\:\:1`, "ip=2001:db8::1"},
		{"client_id:svc-billing", "client_id=svc-billing"},
		{"Unauthorized", "OR(description=Unauthorized type=Unauthorized client_id=Unauthorized client_name=Unauthorized)"},
		{"type:*", "type=*"},
		{"scope:read\\*", "scope=read*"},
	}
	for _, tc := range ok {
		if tc.want == "" {
			continue
		}
		got, err := mgmt.ParseLogQuery(tc.q)
		if err != nil {
			t.Errorf("%q: %v", tc.q, err)
			continue
		}
		if show(got) != tc.want {
			t.Errorf("%q: got %s, want %s", tc.q, show(got), tc.want)
		}
	}
	bad := []struct{ q, msg string }{
		{"a:1 OR b:2", "unknown field 'a'"},
		{"type:", "expected a value after 'type:'"},
		{"type:seccft AND", "expected a term, found end of query"},
		{"(type:seccft", "expected ')'"},
		{"type:seccft)", "unexpected ')'"},
		{`client_name:"open`, "unterminated quoted value"},
		{"date:[2026-01-01 2026-02-01]", "expected TO"},
		{"date:[2026-01-01 TO 2026-02-01", "expected ] or }"},
		{"date:[yesterday TO *]", "'yesterday' is not a date"},
		{"type:[a TO b]", "only date has ranges"},
		{"client_id:a*b", "wildcards are supported only at the end"},
		{"client_id:a?b", "wildcards are supported only at the end"},
		{"date:2026*", "a date cannot be a prefix"},
		{"type:(client_id:x)", "a field inside a field group"},
		{"[a TO b]", "a range needs a field"},
		{"type:seccft\\", "a backslash at the end"},
		{strings.Repeat("(", 40) + "type:x" + strings.Repeat(")", 40), "nested groups"},
		{strings.Repeat("type:x ", 101), "more than 100 terms"},
		{strings.Repeat("x", 3000), "longer than"},
		{"type:\xff", "not valid UTF-8"},
	}
	for _, tc := range bad {
		_, err := mgmt.ParseLogQuery(tc.q)
		var qe *mgmt.QueryError
		if !errors.As(err, &qe) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%.60q: error %v, want one containing %q", tc.q, err, tc.msg)
		}
	}
}

func FuzzParseLogQuery(f *testing.F) {
	for _, s := range []string{"type:seccft", `client_name:"a b" OR -type:x`, "date:[2026-01-01 TO *]", "type:(a OR b) AND NOT c*", `ip:\:\:1`, "((", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		n, err := mgmt.ParseLogQuery(q)
		if err != nil {
			var qe *mgmt.QueryError
			if !errors.As(err, &qe) || qe.Pos < 0 || qe.Pos > len(q) {
				t.Fatalf("%q: %v", q, err)
			}
			return
		}
		_ = show(n)
	})
}

// TestLogSearch runs searches through the real router and store.
func TestLogSearch(t *testing.T) {
	h := newHarness(t) // the admin's seccft is the first event
	h.do("POST", "/api/v2/clients", map[string]any{"client_id": "billing", "name": "Billing batch"}).want(201)
	h.advance(time.Hour)
	h.tokenReq("billing", "wrong", mgmtAud)
	h.tokenReq("nobody", "wrong", mgmtAud)
	h.advance(time.Hour)
	h.do("PATCH", "/api/v2/clients/billing", map[string]any{"description": "nightly"}).want(200)

	types := func(q string, extra ...string) string {
		t.Helper()
		path := "/api/v2/logs?q=" + url.QueryEscape(q)
		for _, e := range extra {
			path += "&" + e
		}
		var out []string
		for _, e := range h.do("GET", path, nil).want(200).list() {
			m := e.(map[string]any)
			if m["_id"] != m["log_id"] || m["_id"] == nil {
				t.Errorf("_id %v, log_id %v", m["_id"], m["log_id"])
			}
			out = append(out, fmt.Sprint(m["type"], "/", m["client_id"]))
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct{ q, want string }{
		{"type:feccft", "feccft/nobody feccft/billing"},
		{"type:sapi", "sapi/admin sapi/admin"},
		{"type:(seccft OR feccft) AND client_id:billing", "feccft/billing"},
		{`client_name:"Billing batch" OR client_id:nobody`, "feccft/nobody"},
		{"NOT type:sapi AND NOT type:seccft", "feccft/nobody feccft/billing"},
		{"date:[2027-03-04T06:00:00Z TO *]", "sapi/admin feccft/nobody feccft/billing"},
		{"date:[* TO 2027-03-04T06:00:00Z}", "sapi/admin seccft/admin"},
		{"date:2027-03-04 AND type:sapi", "sapi/admin sapi/admin"},
		{"date:2027-03-05", ""},
		{"client_id:bill*", "feccft/billing"},
		{"user_id:x", ""},
	} {
		if got := types(tc.q); got != tc.want {
			t.Errorf("q=%s: %s, want %s", tc.q, got, tc.want)
		}
	}
	if got := h.do("GET", "/api/v2/logs?search=type:feccft&q=client_id:nobody", nil).want(200).list(); len(got) != 1 {
		t.Errorf("search (the SDKs' name for q) AND q: %v", got)
	}
	if got := types("type:sapi OR type:seccft", "sort=date:1"); got != "seccft/admin sapi/admin sapi/admin" {
		t.Errorf("sort=date:1: %s", got)
	}
	m := h.do("GET", "/api/v2/logs?q=type:feccft&include_totals=true&per_page=1&page=1", nil).want(200).json()
	if m["total"] != 2.0 || len(m["logs"].([]any)) != 1 || m["logs"].([]any)[0].(map[string]any)["client_id"] != "billing" {
		t.Errorf("page 1 of 1: %v", m)
	}
	r := h.do("GET", "/api/v2/logs?q="+url.QueryEscape("type:(seccft"), nil).want(400)
	golden(t, "error_400_log_query", r.Body.Bytes())
	h.do("GET", "/api/v2/logs?sort=date", nil).want(400)
	h.do("GET", "/api/v2/logs?sort=client_id:1", nil).want(400)
	h.do("GET", "/api/v2/logs?page=10&per_page=100", nil).want(400)
	h.do("GET", "/api/v2/logs?page=9&per_page=100", nil).want(200)
}
