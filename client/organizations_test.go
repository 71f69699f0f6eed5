package client_test

import (
	"encoding/json"
	"testing"

	"github.com/credo-dev/credo/client"
)

// TestApplicationUpdateRemovesDefaultOrganization: RemoveDefaultOrganization
// sends default_organization null beside the other fields, alone, and never
// together with a new one.
func TestApplicationUpdateRemovesDefaultOrganization(t *testing.T) {
	name := "x"
	for _, tc := range []struct {
		u    client.ApplicationUpdate
		want string
	}{
		{client.ApplicationUpdate{RemoveDefaultOrganization: true}, `{"default_organization":null}`},
		{client.ApplicationUpdate{Name: &name, RemoveDefaultOrganization: true}, `{"name":"x","default_organization":null}`},
		{client.ApplicationUpdate{DefaultOrganization: &client.DefaultOrganization{OrganizationID: "org_1", Flows: []string{"client_credentials"}}},
			`{"default_organization":{"organization_id":"org_1","flows":["client_credentials"]}}`},
		{client.ApplicationUpdate{Name: &name}, `{"name":"x"}`},
	} {
		b, err := json.Marshal(tc.u)
		if err != nil || string(b) != tc.want {
			t.Errorf("%+v: %s %v, want %s", tc.u, b, err, tc.want)
		}
	}
	if _, err := json.Marshal(client.ApplicationUpdate{RemoveDefaultOrganization: true, DefaultOrganization: &client.DefaultOrganization{}}); err == nil {
		t.Error("set and remove: no error")
	}
}
