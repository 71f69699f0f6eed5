package server

import (
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are credo's Prometheus metrics, served at GET /metrics.
type Metrics struct {
	reg      *prometheus.Registry
	holder   *tenant.Holder
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	tokens   *prometheus.CounterVec
	tokenOK  prometheus.Counter // tokens{outcome="success"}, resolved once
	issued   *prometheus.CounterVec
	denied   *prometheus.CounterVec
	scripts  *prometheus.HistogramVec
	scriptKO *prometheus.CounterVec
	action   *prometheus.HistogramVec
	streamed *prometheus.CounterVec
	lag      *prometheus.GaugeVec

	// counters caches resolved label sets of issued and denied, so that an
	// exchange costs a map lookup (no allocation) rather than hashing its
	// labels.
	countersMu sync.RWMutex
	counters   map[counterKey]prometheus.Counter

	// clientLimit > 0 adds a client label to the token counters, for at
	// most that many distinct clients; later ones count as "other".
	clientLimit int
	clientMu    sync.Mutex
	clientSeen  map[string]bool
	actionSeen  map[string]bool
}

// MetricsOption configures NewMetrics.
type MetricsOption func(*Metrics)

// MetricsClientLabel labels the token counters with the client id, for at
// most limit distinct clients (the first seen; the rest are "other",
// unknown ids "unknown"), so that one tenant's many clients cannot grow
// the series without bound. Off by default: a label per client multiplies
// the series by the number of clients.
func MetricsClientLabel(limit int) MetricsOption {
	return func(m *Metrics) { m.clientLimit = limit }
}

// NewMetrics registers credo's collectors. dropped reports tenant log events
// dropped because the writer fell behind (may be nil).
func NewMetrics(h *tenant.Holder, dropped func() int64, opts ...MetricsOption) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), holder: h, clientSeen: map[string]bool{}}
	for _, o := range opts {
		o(m)
	}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "credo_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "credo_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
	}, []string{"route"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "credo_token_exchanges_total", Help: "Client-credentials exchanges by outcome (success or the OAuth error code).",
	}, []string{"outcome"})
	m.tokenOK = m.tokens.WithLabelValues("success")
	labels := []string{"audience"}
	if m.clientLimit > 0 {
		labels = append(labels, "client")
	}
	m.issued = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "credo_tokens_issued_total", Help: "Access tokens issued, by audience (an API of the tenant).",
	}, labels)
	m.denied = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "credo_tokens_denied_total", Help: "Token requests refused, by audience (an API of the tenant, \"unknown\" or \"none\"), the pipeline step that refused (reason) and the OAuth error.",
	}, append(labels, "reason", "error"))
	m.scripts = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "credo_actions_duration_seconds", Help: "Time the Actions and Hooks of one exchange took, by outcome (ok, denied, busy, error).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 20},
	}, []string{"outcome"})
	m.scriptKO = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "credo_action_failures_total", Help: "Exchanges an Action or Hook denied or failed, by its name and outcome (denied, busy, error).",
	}, []string{"action", "outcome"})
	m.action = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "credo_action_duration_seconds", Help: "Time each Action or Hook ran, by its name (at most 100 names; the rest are other).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 20},
	}, []string{"action"})
	m.streamed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "credo_log_stream_events_total", Help: "Log events delivered by each log stream.",
	}, []string{"stream"})
	m.lag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "credo_log_stream_lag_seconds", Help: "Age of the newest event of each log stream's last delivery.",
	}, []string{"stream"})
	m.reg.MustRegister(m.requests, m.duration, m.tokens, m.issued, m.denied, m.scripts, m.scriptKO, m.action, m.streamed, m.lag,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "credo_snapshot_age_seconds", Help: "Seconds since the snapshot was last confirmed up to date with the store."},
			func() float64 {
				ok, _ := h.Health()
				if ok.IsZero() {
					return 0
				}
				return time.Since(ok).Seconds()
			}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "credo_snapshot_rebuilds_total", Help: "Full snapshot rebuilds (a load of the whole tenant)."},
			func() float64 { return float64(h.Stats().Rebuilds) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "credo_snapshot_patches_total", Help: "Snapshot updates patched from the store's change log."},
			func() float64 { return float64(h.Stats().Patches) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "credo_store_errors_total", Help: "Failed store reads while refreshing the snapshot."},
			func() float64 { return float64(h.Stats().StoreErrors) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "credo_snapshot_version", Help: "Tenant version of the in-memory snapshot."},
			func() float64 { return float64(h.Current().Version) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "credo_store_up", Help: "1 when the last store check succeeded, 0 while serving from the snapshot."},
			func() float64 {
				if _, err := h.Health(); err != nil {
					return 0
				}
				return 1
			}),
	)
	if dropped != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "credo_log_events_dropped_total", Help: "Token-exchange log events lost: dropped because the writer fell behind, or in a batch the store failed to write. The audit log never drops."},
			func() float64 { return float64(dropped()) }))
	}
	return m
}

// BuildInfo publishes credo_build_info{version, go_version, crypto_backend} = 1,
// so a dashboard can tell which build (pure Go or BoringCrypto) serves.
func (m *Metrics) BuildInfo(version, cryptoBackend string) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "credo_build_info", Help: "1, labelled with the credo version, the Go toolchain and the crypto backend that signs tokens.",
	}, []string{"version", "go_version", "crypto_backend"})
	g.WithLabelValues(version, runtime.Version(), cryptoBackend).Set(1)
	m.reg.MustRegister(g)
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// TokenEvent counts one exchange outcome (use as the token endpoint's Events hook).
func (m *Metrics) TokenEvent(ev store.LogEvent) {
	snap := m.holder.Current()
	aud := ev.Audience
	switch _, known := snap.API(aud); {
	case aud == "":
		aud = "none"
	case !known:
		aud = "unknown" // any string a caller sends must not become a series
	}
	client := m.clientLabel(snap, ev.ClientID)
	if ev.Type == "seccft" {
		m.tokenOK.Inc()
		m.counter(counterKey{issued: true, aud: aud, client: client}, func() prometheus.Counter {
			if m.clientLimit > 0 {
				return m.issued.WithLabelValues(aud, client)
			}
			return m.issued.WithLabelValues(aud)
		}).Inc()
		return
	}
	outcome := "error"
	if code, ok := ev.Details["error"].(string); ok {
		outcome = code
	}
	m.tokens.WithLabelValues(outcome).Inc()
	step, _ := ev.Details["step"].(string)
	m.counter(counterKey{aud: aud, client: client, step: step, err: outcome}, func() prometheus.Counter {
		if m.clientLimit > 0 {
			return m.denied.WithLabelValues(aud, client, step, outcome)
		}
		return m.denied.WithLabelValues(aud, step, outcome)
	}).Inc()
}

// counterKey names one series of issued (issued set) or denied.
type counterKey struct {
	issued                 bool
	aud, client, step, err string
}

func (m *Metrics) counter(key counterKey, make func() prometheus.Counter) prometheus.Counter {
	m.countersMu.RLock()
	c, ok := m.counters[key]
	m.countersMu.RUnlock()
	if ok {
		return c
	}
	m.countersMu.Lock()
	defer m.countersMu.Unlock()
	if c, ok := m.counters[key]; ok {
		return c
	}
	if m.counters == nil {
		m.counters = map[counterKey]prometheus.Counter{}
	}
	c = make()
	m.counters[key] = c
	return c
}

// clientLabel is the client label of id: "" when the label is off, the id
// for the first clientLimit known clients seen, "other" past them,
// "unknown" for an id that is not a client of the tenant.
func (m *Metrics) clientLabel(snap *tenant.Snapshot, id string) string {
	if m.clientLimit <= 0 {
		return ""
	}
	if _, ok := snap.Client(id); !ok {
		return "unknown"
	}
	m.clientMu.Lock()
	defer m.clientMu.Unlock()
	if m.clientSeen[id] {
		return id
	}
	if len(m.clientSeen) >= m.clientLimit {
		return "other"
	}
	m.clientSeen[id] = true
	return id
}

// ScriptRun records one exchange's Actions and Hooks (token.Scripts.Observe).
func (m *Metrics) ScriptRun(took time.Duration, outcome, script string) {
	m.scripts.WithLabelValues(outcome).Observe(took.Seconds())
	if outcome != "ok" {
		if _, ok := m.scriptNames(script); !ok {
			script = "other"
		}
		m.scriptKO.WithLabelValues(script, outcome).Inc()
	}
}

// ActionRun records one Action's or Hook's run (hook.Runtime.Observe).
func (m *Metrics) ActionRun(script string, took time.Duration, _ error) {
	if _, ok := m.scriptNames(script); !ok {
		script = "other"
	}
	m.action.WithLabelValues(script).Observe(took.Seconds())
}

// scriptNames bounds the action label: at most maxActionLabels names.
func (m *Metrics) scriptNames(name string) (string, bool) {
	m.clientMu.Lock()
	defer m.clientMu.Unlock()
	if m.actionSeen == nil {
		m.actionSeen = map[string]bool{}
	}
	if m.actionSeen[name] {
		return name, true
	}
	if len(m.actionSeen) >= maxActionLabels {
		return "", false
	}
	m.actionSeen[name] = true
	return name, true
}

// StreamDelivered records a log stream delivery (logstream.Streamer.Delivered).
// A tenant has at most 10 streams, so the stream label is bounded.
func (m *Metrics) StreamDelivered(stream string, events int, lag time.Duration) {
	m.streamed.WithLabelValues(stream).Add(float64(events))
	m.lag.WithLabelValues(stream).Set(lag.Seconds())
}

// maxActionLabels bounds the names credo_action_failures_total carries.
const maxActionLabels = 100

// instrument counts and times requests of one route.
func (m *Metrics) instrument(route string, next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	hist := m.duration.WithLabelValues(route)
	// The route's counter per status code, resolved once per code rather
	// than formatting and hashing the labels on every request.
	var counters sync.Map // int → prometheus.Counter
	count := func(code int) {
		c, ok := counters.Load(code)
		if !ok {
			c, _ = counters.LoadOrStore(code, m.requests.WithLabelValues(route, strconv.Itoa(code)))
		}
		c.(prometheus.Counter).Inc()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		hist.Observe(time.Since(start).Seconds())
		count(sw.code)
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
