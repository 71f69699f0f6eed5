package server_test

import "github.com/credo-dev/credo/internal/tenant"

func grantFields(client, aud string) tenant.GrantFields {
	s := []string{}
	return tenant.GrantFields{ClientID: client, Audience: aud, Scope: &s}
}
