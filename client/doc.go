// Package client is the Go client for credo (and for Auth0's machine-to-machine
// surface): a caching token source for the OAuth 2.0 Client Credentials grant,
// and a typed client for the Management API v2.
//
// [TokenSource] gets access tokens from POST /oauth/token with
// grant_type=client_credentials and an audience, the way Auth0's SDKs do. It
// caches each token and refreshes it before it expires (with jitter, so a
// fleet of replicas does not refresh in step); concurrent callers share one
// request; 429 and 5xx answers are retried with the server's Retry-After. It
// is an [oauth2.TokenSource], so it plugs into [oauth2.NewClient] for any API
// call.
//
// [New] returns a [Client] for the Management API (/api/v2/): clients
// (applications), resource servers (APIs), client grants, signing keys, Actions
// and their bindings, legacy hooks, the tenant log and the tenant settings, in
// Auth0's JSON shapes. Errors come back as [*APIError], decoded from Auth0's
// {"statusCode","error","message","errorCode"} body.
//
//	ts := client.TokenSource(ctx, client.ClientCredentials{
//		Issuer:       "https://auth.example.com/",
//		ClientID:     os.Getenv("CREDO_CLIENT_ID"),
//		ClientSecret: os.Getenv("CREDO_CLIENT_SECRET"),
//		Audience:     "https://auth.example.com/api/v2/",
//	})
//	mgmt := client.New("https://auth.example.com/", ts)
//	apps, err := mgmt.Clients.List(ctx, client.ListOptions{PerPage: 50})
//
// The package depends only on the standard library and golang.org/x/oauth2; it
// imports nothing from the rest of credo.
package client
