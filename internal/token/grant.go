package token

import (
	"context"

	"github.com/credo-dev/credo/internal/oauth"
	"github.com/credo-dev/credo/internal/tenant"
)

// GrantType is one grant_type the endpoint serves (client_credentials now;
// RFC 8693 token exchange later). The pipeline runs its Grant in the
// "grant" step, after client authentication; every other step is shared.
type GrantType interface {
	// Name is the grant_type value.
	Name() string
	// Grant checks what the grant type requires of the authenticated
	// client and the request, and sets ex.API, the audience.
	Grant(ctx context.Context, ex *Exchange) *oauth.Error
	// GTY is the token's gty claim (Auth0 profile).
	GTY() string
}

// clientCredentials is the client credentials grant (RFC 6749 §4.4).
type clientCredentials struct{}

func (clientCredentials) Name() string { return oauth.GrantClientCredentials }

func (clientCredentials) GTY() string { return "client-credentials" }

func (g clientCredentials) Grant(_ context.Context, ex *Exchange) *oauth.Error {
	if !ex.Client.HasGrantType(g.Name()) {
		return oauth.UnauthorizedClient(g.Name())
	}
	return resolveAudience(ex)
}

// grant is the pipeline's grant-type step.
func (e *Endpoint) grant(ctx context.Context, ex *Exchange) *oauth.Error {
	return ex.GrantType.Grant(ctx, ex)
}

// resolveAudience finds the API from audience or its RFC 8707 alias resource,
// else the tenant's default audience.
func resolveAudience(ex *Exchange) *oauth.Error {
	req := ex.Request
	aud := req.Audience
	if req.Resource != "" {
		if aud != "" && aud != req.Resource {
			return oauth.InvalidRequest("audience and resource name different APIs; send one")
		}
		aud = req.Resource
	}
	if aud == "" {
		// Auth0's tenant default_audience (GET/PATCH /tenants/settings).
		aud = ex.Snapshot.Settings.DefaultAudience
	}
	if aud == "" {
		return oauth.MissingParameter("audience")
	}
	api, ok := ex.Snapshot.API(aud)
	if !ok {
		return oauth.ServiceNotFound(aud)
	}
	ex.API = api
	return nil
}

// organization is the pipeline's organization step: which organization,
// if any, the token is for (Auth0's Organizations for M2M). The client
// grant for the audience decides, by its organization_usage:
//
//   - deny (the default): the request must not name an organization;
//   - allow: the token is for the organization the request names, if any;
//   - require: the request names one, or the client's default_organization
//     (flows client_credentials) applies; without either it is refused.
//
// A named organization (by id, or by name) must exist and the grant must
// allow it: allow_any_organization, or the grant associated with it. An
// organization that does not exist and one the grant may not use are
// refused alike, so the answer says nothing about which organizations exist.
// Without a client grant the policy step refuses as it would without
// organizations.
func (e *Endpoint) organization(_ context.Context, ex *Exchange) *oauth.Error {
	snap := ex.Snapshot
	g, ok := snap.Grant(ex.Client.ClientID, ex.API.Identifier)
	if !ok {
		return nil // no client grant: the policy step refuses it, under its own name
	}
	ex.Grant = g
	named := ex.Request.Organization
	switch {
	case g.OrganizationUsage == tenant.OrgUsageDeny && named != "":
		return oauth.OrganizationNotAllowed(ex.API.Identifier)
	case named != "":
		o, ok := snap.Organization(named)
		if !ok || !snap.OrganizationAllows(o, g) {
			return oauth.OrganizationDenied(ex.API.Identifier)
		}
		ex.Organization = o
	case g.OrganizationUsage == tenant.OrgUsageRequire:
		id := ex.Client.DefaultOrganization
		if id == "" {
			return oauth.OrganizationRequired(ex.API.Identifier)
		}
		o, ok := snap.OrganizationByID(id)
		if !ok || !snap.OrganizationAllows(o, g) {
			return oauth.DefaultOrganizationDenied(ex.API.Identifier)
		}
		ex.Organization = o
	}
	return nil
}
