package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/credo-dev/credo/client"
)

func init() {
	register(command{name: "logs", summary: "read the tenant log: list (with filters, or follow), get", run: runLogs})
}

func runLogs(ctx context.Context, io IO, args []string) error {
	return dispatch(ctx, io, "logs", "Read the tenant log (GET /api/v2/logs): Management API writes (sapi), refused token requests (feccft)\nand, with credo serve --token-log all, issued tokens (seccft).", []verb{
		{"list", "list the latest events, optionally filtered; -f follows new ones", logsList},
		{"get", "show one event with its details", logsGet},
	}, args)
}

// parseSince reads --from: a date, an RFC 3339 time, or a duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--from %q: want a date (2026-12-07), a time (2026-12-07T15:04:05Z) or a duration before now (2h)", s)
}

// quoted is a search value in double quotes.
func quoted(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// logSearch is the log search (q) of the filters, ANDed with query: the
// types, the client's client_id (or also its name, byName, for a client
// that is not an application, e.g. a deleted one) and the date.
func logSearch(types []string, clientID string, byName bool, from time.Time, query string) string {
	var parts []string
	if query != "" {
		parts = append(parts, "("+query+")")
	}
	if len(types) > 0 {
		q := make([]string, len(types))
		for i, t := range types {
			q[i] = quoted(t)
		}
		parts = append(parts, "type:("+strings.Join(q, " OR ")+")")
	}
	switch {
	case clientID != "" && byName:
		parts = append(parts, "(client_id:"+quoted(clientID)+" OR client_name:"+quoted(clientID)+")")
	case clientID != "":
		parts = append(parts, "client_id:"+quoted(clientID))
	}
	if !from.IsZero() {
		parts = append(parts, "date:["+from.UTC().Format(time.RFC3339Nano)+" TO *]")
	}
	return strings.Join(parts, " AND ")
}

// printLog writes one event as a line (table) or a JSON object.
func printLog(io IO, o *mgmtOpts, e *client.LogEvent) error {
	if o.output == "json" {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(io.Stdout, "%s\n", b)
		return err
	}
	who := e.ClientID
	if e.ClientName != "" && e.ClientName != e.ClientID {
		who += " (" + e.ClientName + ")"
	}
	if who == "" {
		who = "-"
	}
	desc := e.Description
	if e.Audience != "" {
		desc += " [" + e.Audience + "]"
	}
	_, err := fmt.Fprintf(io.Stdout, "%-24s  %-6s  %-32s  %s\n", timeCell(e.Date), e.Type, who, strings.ReplaceAll(desc, "\n", " "))
	return err
}

func logsList(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "logs list", `logs list [--type feccft] [--client CLIENT] [--from DATE] [--query Q] [--limit 50] [-f] [flags]

Prints the latest matching events, oldest first. With -f it then polls for new
events and prints them as they come, until interrupted (Ctrl-C); then, with
-o json, each event is one JSON object per line. The filters become the
Management API's log search (q); --query adds one in Auth0's syntax.`, `logs list --type feccft --client billing --from 2h -f`)
	var types, clientID, from, query string
	var limit int
	var follow bool
	var interval time.Duration
	fs.String(&types, "type", "", "only events of these types, comma-separated (sapi, feccft, seccft, …)")
	fs.String(&clientID, "client", "", "only events of this application (client_id or name)")
	fs.String(&from, "from", "", "only events since: a date, an RFC 3339 time or a duration before now (2h)")
	fs.String(&query, "query", "", `a log search in Auth0's syntax, e.g. 'description:"Unauthorized" AND NOT ip:10.*'`)
	fs.Int(&limit, "limit", 50, "at most this many events before following (1-1000)")
	fs.Bool(&follow, "follow", false, "keep printing new events until interrupted")
	fs.alias("f", "follow")
	fs.Duration(&interval, "interval", 2*time.Second, "how often -f polls")
	return withConn(ctx, io, fs, o, args, 0, "", func(c *conn, _ []string) error {
		if limit < 1 || limit > 1000 {
			return fmt.Errorf("--limit %d: want 1 to 1000", limit)
		}
		if interval < 100*time.Millisecond {
			return fmt.Errorf("--interval %s: want at least 100ms", interval)
		}
		var since time.Time
		if from != "" {
			var err error
			if since, err = parseSince(from, time.Now()); err != nil {
				return err
			}
		}
		byName := clientID != ""
		if clientID != "" {
			if a, err := findClient(ctx, c, clientID); err == nil {
				clientID, byName = a.ClientID, false
			}
		}
		q := logSearch(splitList(types), clientID, byName, since, query)

		// The newest matching events, page by page (an event written
		// meanwhile shifts the pages: seen drops the repeat).
		per := min(limit, 100)
		var found []client.LogEvent
		seen := map[string]bool{}
		for page := 0; len(found) < limit; page++ {
			l, err := c.api.Logs.List(ctx, client.LogListOptions{ListOptions: client.ListOptions{Page: page, PerPage: per}, Query: q})
			if err != nil {
				return err
			}
			for _, e := range l.Logs {
				if !seen[e.LogID] && len(found) < limit {
					seen[e.LogID] = true
					found = append(found, e)
				}
			}
			if len(l.Logs) < per {
				break
			}
		}
		last := ""
		if len(found) > 0 {
			last = found[0].LogID
		}
		slices.Reverse(found)
		if o.output == "json" && !follow {
			return o.show(io, orEmpty(found), nil)
		}
		for i := range found {
			if err := printLog(io, o, &found[i]); err != nil {
				return err
			}
		}
		if !follow {
			if len(found) == 0 && o.output != "json" {
				fmt.Fprintln(io.Stderr, "credo logs list: no matching events")
			}
			return nil
		}
		return followLogs(ctx, io, o, c, q, last, interval)
	})
}

// followLogs polls for the matching events after last (checkpoint
// pagination) and prints them, until ctx ends.
func followLogs(ctx context.Context, io IO, o *mgmtOpts, c *conn, q, last string, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			var l *client.LogList
			var err error
			if last == "" { // nothing matched yet: wait for the first events
				l, err = c.api.Logs.List(ctx, client.LogListOptions{ListOptions: client.ListOptions{PerPage: 100}, Query: q, Sort: "date:1"})
			} else {
				l, err = c.api.Logs.List(ctx, client.LogListOptions{From: last, Take: 100, Query: q})
			}
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return err
			}
			for i := range l.Logs {
				if err := printLog(io, o, &l.Logs[i]); err != nil {
					return err
				}
				last = l.Logs[i].LogID
			}
			if len(l.Logs) < 100 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func logsGet(ctx context.Context, io IO, args []string) error {
	fs, o := mgmtFlags(io, "logs get", "logs get LOG_ID [flags]", `logs get 20261207150405123456789a1b2c3d4e5f6`)
	return withConn(ctx, io, fs, o, args, 1, "LOG_ID", func(c *conn, pos []string) error {
		e, err := c.api.Logs.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		return o.show(io, e, func(w writer) {
			row(w, "log_id", e.LogID)
			row(w, "date", timeCell(e.Date))
			row(w, "type", e.Type)
			row(w, "description", e.Description)
			row(w, "client_id", e.ClientID)
			row(w, "client_name", e.ClientName)
			row(w, "ip", e.IP)
			row(w, "user_agent", e.UserAgent)
			row(w, "hostname", e.Hostname)
			row(w, "audience", e.Audience)
			row(w, "scope", e.Scope)
			if len(e.Details) > 0 {
				b, _ := json.Marshal(e.Details)
				row(w, "details", string(b))
			}
		})
	})
}
