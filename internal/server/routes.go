package server

import "net/http"

// routes is THE route table.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	m := s.deps.Metrics
	handle := func(pattern, route string, h http.Handler) { mux.Handle(pattern, m.instrument(route, h)) }
	handle("/oauth/token", "token", s.deps.Token) // any method: the endpoint answers 405 itself, in OAuth shape
	handle("GET /.well-known/openid-configuration", "discovery", http.HandlerFunc(s.discovery))
	handle("GET /.well-known/oauth-authorization-server", "discovery", http.HandlerFunc(s.discovery))
	handle("GET /.well-known/jwks.json", "jwks", http.HandlerFunc(s.jwks))
	if s.deps.Tokens != nil {
		handle("/oauth/revoke", "revoke", http.HandlerFunc(s.deps.Tokens.Revoke))             // 405 in OAuth shape for other methods
		handle("/oauth/introspect", "introspect", http.HandlerFunc(s.deps.Tokens.Introspect)) // likewise
		handle("GET "+RevocationListPath, "revocations", http.HandlerFunc(s.revocations))
	}
	handle("GET /healthz", "healthz", http.HandlerFunc(s.healthz))
	handle("GET /readyz", "readyz", http.HandlerFunc(s.readyz))
	if s.deps.Management != nil {
		handle("/api/v2/", "management", s.deps.Management)
	}
	if s.deps.Dashboard != nil { // the web console (internal/dashboard)
		handle("/dashboard", "dashboard", s.deps.Dashboard)
		handle("/dashboard/", "dashboard", s.deps.Dashboard)
	}
	if m != nil {
		mux.Handle("GET /metrics", m.Handler())
	}
	mux.HandleFunc("/", s.notFound)
	return mux
}
