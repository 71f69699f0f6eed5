// Package clientauth authenticates the client of a token request (RFC 6749
// §2.3). Each method is a Method in a file of its own (client_secret_basic,
// client_secret_post; private_key_jwt and tls_client_auth join the same
// way): it says whether a request presents its credentials and verifies them
// against the client. Authenticate enforces what every method shares:
// credentials presented in exactly one way, the client's registered
// token_endpoint_auth_method deciding which methods may run, and no answer
// or cost that tells an unknown client from a known one.
package clientauth
