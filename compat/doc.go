// Package compat is credo's compatibility kit: tests that start a real
// `credo serve` and drive it with the libraries an Auth0 customer already
// uses, unchanged except for the domain and credentials.
//
// In Go: golang.org/x/oauth2/clientcredentials fetches tokens with every
// AuthStyle (compat_test.go), and github.com/auth0/go-jwt-middleware/v2
// verifies them for every signing algorithm and token dialect
// (jwtmiddleware_test.go; build tag credo_jwtmw until go.mod requires
// gopkg.in/go-jose/go-jose.v2, which that library imports).
//
// In Node (node/, driven by TestNode): openid-client v6, jose, an
// express-oauth2-jwt-bearer app and Auth0's Management API SDK (npm auth0 v7),
// pinned in node/package-lock.json and installed with `npm ci`.
//
// In every language of the Auth0 docs that runs on this machine
// (snippets_test.go): each code snippet of ../shared/seeds is extracted and
// run against credo with only the domain, scheme and credentials substituted.
//
// The package has no non-test code; run it with `go test ./compat/`. Set
// CREDO_SKIP_NODE=1 to skip the parts that need node and npm.
package compat
