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
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	tokens   *prometheus.CounterVec
	tokenOK  prometheus.Counter // tokens{outcome="success"}, resolved once
}

// NewMetrics registers credo's collectors. dropped reports tenant log events
// dropped because the writer fell behind (may be nil).
func NewMetrics(h *tenant.Holder, dropped func() int64) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
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
	m.reg.MustRegister(m.requests, m.duration, m.tokens,
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
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "credo_log_events_dropped_total", Help: "Tenant log events dropped because the writer fell behind."},
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
	if ev.Type == "seccft" {
		m.tokenOK.Inc()
		return
	}
	outcome := "error"
	if code, ok := ev.Details["error"].(string); ok {
		outcome = code
	}
	m.tokens.WithLabelValues(outcome).Inc()
}

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
