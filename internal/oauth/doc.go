// Package oauth holds credo's OAuth 2.0 protocol vocabulary: grant types,
// client authentication methods, the error values the token endpoint returns
// (RFC 6749 §5.2, in Auth0's wording where Auth0 has one) and the single place
// where errors and token responses are written to the wire.
//
// Every OAuth error body is {"error","error_description"} with
// Cache-Control: no-store; golden files in internal/server/testdata pin them.
package oauth
