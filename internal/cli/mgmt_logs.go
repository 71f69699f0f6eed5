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

// logFilter selects events on the CLI's side: the Management API's list
// takes no filter other than pagination.
type logFilter struct {
	types  []string
	client string
	from   time.Time
}

func (f *logFilter) match(e *client.LogEvent) bool {
	if len(f.types) > 0 && !slices.Contains(f.types, e.Type) {
		return false
	}
	if f.client != "" && e.ClientID != f.client && e.ClientName != f.client {
		return false
	}
	return f.from.IsZero() || (e.Date != nil && !e.Date.Before(f.from))
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

// maxLogScan bounds how many events one logs list reads to find its matches.
const maxLogScan = 10000

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
	fs, o := mgmtFlags(io, "logs list", `logs list [--type feccft] [--client CLIENT] [--from DATE] [--limit 50] [-f] [flags]

Prints the latest matching events, oldest first. With -f it then polls for new
events and prints them as they come, until interrupted (Ctrl-C). With -o json
each event is one JSON object per line.`, `logs list --type feccft --client billing --from 2h -f`)
	var types, clientID, from string
	var limit int
	var follow bool
	var interval time.Duration
	fs.String(&types, "type", "", "only events of these types, comma-separated (sapi, feccft, seccft, …)")
	fs.String(&clientID, "client", "", "only events of this application (client_id or name)")
	fs.String(&from, "from", "", "only events since: a date, an RFC 3339 time or a duration before now (2h)")
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
		f := logFilter{types: splitList(types), client: clientID}
		if from != "" {
			var err error
			if f.from, err = parseSince(from, time.Now()); err != nil {
				return err
			}
		}
		// Newest first, page by page, until enough match, the events get
		// older than --from, or the scan bound.
		var found []client.LogEvent
		seen := map[string]bool{}
		last, scanned := "", 0
	scan:
		for page := 0; scanned < maxLogScan; page++ {
			l, err := c.api.Logs.List(ctx, client.LogListOptions{ListOptions: client.ListOptions{Page: page, PerPage: 100}})
			if err != nil {
				return err
			}
			for i := range l.Logs {
				e := &l.Logs[i]
				if last == "" {
					last = e.LogID
				}
				if seen[e.LogID] { // an event written meanwhile shifted the pages
					continue
				}
				seen[e.LogID] = true
				scanned++
				if !f.from.IsZero() && e.Date != nil && e.Date.Before(f.from) {
					break scan
				}
				if f.match(e) {
					if found = append(found, *e); len(found) == limit {
						break scan
					}
				}
			}
			if len(l.Logs) < 100 {
				break
			}
		}
		if scanned >= maxLogScan && len(found) < limit {
			fmt.Fprintf(io.Stderr, "credo logs list: read the latest %d events; narrow the search with --from for older ones\n", maxLogScan)
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
		return followLogs(ctx, io, o, c, &f, last, interval)
	})
}

// followLogs polls for the events after last (checkpoint pagination) and
// prints the matching ones, until ctx ends.
func followLogs(ctx context.Context, io IO, o *mgmtOpts, c *conn, f *logFilter, last string, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			var l *client.LogList
			var err error
			if last == "" { // an empty log: wait for its first events
				l, err = c.api.Logs.List(ctx, client.LogListOptions{ListOptions: client.ListOptions{PerPage: 100}})
				if err == nil {
					slices.Reverse(l.Logs)
				}
			} else {
				l, err = c.api.Logs.List(ctx, client.LogListOptions{From: last, Take: 100})
			}
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return err
			}
			for i := range l.Logs {
				if f.match(&l.Logs[i]) {
					if err := printLog(io, o, &l.Logs[i]); err != nil {
						return err
					}
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
