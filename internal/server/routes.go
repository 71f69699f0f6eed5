package server

import "net/http"

// routes is THE route table.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/oauth/token", s.deps.Token) // any method: the endpoint answers 405 itself, in OAuth shape
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.discovery)
	mux.HandleFunc("GET /.well-known/jwks.json", s.jwks)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.deps.Management != nil {
		mux.Handle("/api/v2/", s.deps.Management)
	}
	if s.deps.Metrics != nil {
		mux.Handle("GET /metrics", s.deps.Metrics)
	}
	mux.HandleFunc("/", s.notFound)
	return mux
}
