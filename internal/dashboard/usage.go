package dashboard

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/credo-dev/credo/store"
)

// Usage counts token exchanges per hour and client, and denials per hour,
// client and reason, in memory, and adds them to the store's counters
// every so often: the token endpoint only increments a map entry.
type Usage struct {
	Store store.Store
	Log   *slog.Logger

	mu      sync.Mutex
	pending map[usageKey]int64
	flushMu sync.Mutex // one flush at a time
}

type usageKey struct {
	hour                   int64
	metric, client, reason string
}

// maxUsageKeys bounds the counters held between flushes: past it, counts
// go to a client named "" (other), so unknown client ids sent by anyone
// cannot grow the map.
const maxUsageKeys = 10000

// Add counts one token event (seccft: a token; feccft: a denial, by its
// error code). It is called on the token path and touches no database.
func (u *Usage) Add(ev store.LogEvent) {
	k := usageKey{hour: ev.Date.UTC().Truncate(time.Hour).Unix(), client: ev.ClientID}
	switch ev.Type {
	case "seccft":
		k.metric = store.UsageTokens
	case "feccft":
		k.metric = store.UsageDenials
		k.reason, _ = ev.Details["error"].(string)
		if k.reason == "" {
			k.reason = "error"
		}
	default:
		return
	}
	if len(k.client) > 64 {
		k.client = k.client[:64]
	}
	u.mu.Lock()
	if u.pending == nil {
		u.pending = make(map[usageKey]int64)
	}
	if _, ok := u.pending[k]; !ok && len(u.pending) >= maxUsageKeys {
		k.client = ""
	}
	u.pending[k]++
	u.mu.Unlock()
}

// Flush adds the pending counts to the store. Counts that could not be
// written are kept for the next flush.
func (u *Usage) Flush(ctx context.Context) error {
	u.flushMu.Lock()
	defer u.flushMu.Unlock()
	u.mu.Lock()
	p := u.pending
	u.pending = nil
	u.mu.Unlock()
	if len(p) == 0 {
		return nil
	}
	counts := make([]store.UsageCount, 0, len(p))
	for k, n := range p {
		counts = append(counts, store.UsageCount{Hour: time.Unix(k.hour, 0).UTC(), Metric: k.metric, ClientID: k.client, Reason: k.reason, Count: n})
	}
	if err := u.Store.AddUsage(ctx, counts); err != nil {
		u.mu.Lock()
		if u.pending == nil {
			u.pending = make(map[usageKey]int64)
		}
		for k, n := range p {
			u.pending[k] += n
		}
		u.mu.Unlock()
		return err
	}
	return nil
}

// Run flushes every interval until ctx ends, then once more.
func (u *Usage) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := u.Flush(fctx); err != nil && u.Log != nil {
				u.Log.Warn("dashboard: writing the usage counters failed", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := u.Flush(ctx); err != nil && u.Log != nil {
				u.Log.Warn("dashboard: writing the usage counters failed; they are kept for the next try", "err", err)
			}
		}
	}
}

// --- the Activity page --------------------------------------------------------

type series struct {
	Name   string
	Total  int64
	Counts []int64 // per hour, oldest first
	Chart  template.HTML
}

type activityData struct {
	Hours    []string
	Tokens   []series // per application
	Denials  []series // per reason
	Total    int64
	Denied   int64
	Since    string
	NoAccess bool
}

// usageHours is how many hours the Activity page charts.
const usageHours = 24

func (db *Dashboard) activityPage(w http.ResponseWriter, r *http.Request, s *session) {
	d := activityData{}
	if !db.can(s, "read:logs", "read:logs_users") {
		d.NoAccess = true
		db.render(w, r, s, http.StatusOK, "activity", &page{Title: "Activity", Nav: "activity", Data: d})
		return
	}
	if db.d.Usage != nil {
		if err := db.d.Usage.Flush(r.Context()); err != nil {
			db.d.Log.Warn("dashboard: writing the usage counters failed", "err", err)
		}
	}
	now := db.d.Now().UTC()
	end := now.Truncate(time.Hour).Add(time.Hour)
	start := end.Add(-usageHours * time.Hour)
	counts, err := db.d.Store.ListUsage(r.Context(), start, end)
	if err != nil {
		db.d.Log.Error("dashboard: reading the usage counters failed", "err", err)
		db.fail(w, r, s, "activity", &apiErr{Status: 503, Message: "The usage counters could not be read; try again in a moment."})
		return
	}
	for i := range usageHours {
		d.Hours = append(d.Hours, start.Add(time.Duration(i)*time.Hour).Format("15:04"))
	}
	d.Since = start.Format("2006-01-02 15:04 UTC")
	names := map[string]string{}
	snap := db.d.Holder.Current()
	tokens := map[string]*series{}
	denials := map[string]*series{}
	for _, c := range counts {
		i := int(c.Hour.Sub(start) / time.Hour)
		if i < 0 || i >= usageHours {
			continue
		}
		var m map[string]*series
		var key string
		if c.Metric == store.UsageTokens {
			m, key = tokens, c.ClientID
			d.Total += c.Count
			if _, ok := names[key]; !ok {
				names[key] = key
				if cl, ok := snap.Client(key); ok && cl.Name != "" {
					names[key] = cl.Name + " (" + key + ")"
				}
			}
		} else {
			m, key = denials, c.Reason
			d.Denied += c.Count
		}
		x := m[key]
		if x == nil {
			x = &series{Name: key, Counts: make([]int64, usageHours)}
			m[key] = x
		}
		x.Counts[i] += c.Count
		x.Total += c.Count
	}
	for k, x := range tokens {
		x.Name = names[k]
		if k == "" {
			x.Name = "(other clients)"
		}
	}
	d.Tokens, d.Denials = sorted(tokens), sorted(denials)
	for i := range d.Tokens {
		d.Tokens[i].Chart = barChart(d.Tokens[i].Counts, d.Hours, "bar-tokens", "Tokens per hour for "+d.Tokens[i].Name)
	}
	for i := range d.Denials {
		d.Denials[i].Chart = barChart(d.Denials[i].Counts, d.Hours, "bar-denials", "Denials per hour: "+d.Denials[i].Name)
	}
	db.render(w, r, s, http.StatusOK, "activity", &page{Title: "Activity", Nav: "activity", Data: d})
}

func sorted(m map[string]*series) []series {
	out := make([]series, 0, len(m))
	for _, x := range m {
		out = append(out, *x)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// barChart draws counts as an SVG bar chart, one bar per hour, with a
// title per bar (its hour and count) and a label for screen readers.
func barChart(counts []int64, hours []string, class, label string) template.HTML {
	const w, h, pad = 720, 90, 16
	var peak int64 = 1
	for _, c := range counts {
		peak = max(peak, c)
	}
	bw := float64(w) / float64(len(counts))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">`, w, h+pad, template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<line class="axis" x1="0" y1="%d" x2="%d" y2="%d"></line>`, h, w, h)
	for i, c := range counts {
		bh := float64(c) / float64(peak) * float64(h-4)
		fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
			class, float64(i)*bw+1, float64(h)-bh, bw-2, bh, hours[i], c)
		if i%6 == 0 {
			fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d">%s</text>`, float64(i)*bw+1, h+pad-2, hours[i])
		}
	}
	fmt.Fprintf(&b, `<text class="peak" x="2" y="10">max %d per hour</text></svg>`, peak)
	return template.HTML(b.String())
}
