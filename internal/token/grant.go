package token

import (
	"context"

	"github.com/credo-dev/credo/internal/oauth"
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

// organization is the pipeline's organization step. credo has no
// organizations yet, so a request that names one is refused rather than
// answered with a token that silently lacks org_id.
func (e *Endpoint) organization(_ context.Context, ex *Exchange) *oauth.Error {
	if ex.Request.Organization != "" {
		return oauth.InvalidRequest("Parameter organization is not supported: this credo has no organizations; send the request without it")
	}
	return nil
}
