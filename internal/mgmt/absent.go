package mgmt

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Collections and settings of an Auth0 tenant that do not apply to a
// machine-to-machine server (users log in nowhere here: no connections,
// rules, roles, prompts, branding, MFA, attack protection…). Auth0's tools
// read them all: the Deploy CLI's export (a0deploy 8.44.0, every handler
// when AUTH0_INCLUDED_ONLY is unset) stops at the first 404. credo answers
// what a tenant that has none of them answers:
//
//   - a collection is an empty list, in each of Auth0's paging shapes (the
//     bare array; with include_totals {"start","limit","length","total",
//     key:[]}; with from/take {key:[]}; or the object the endpoint always
//     answers, e.g. {"modules":[],"total":0,"page":0,"per_page":50});
//   - a settings object is a fixed, neutral object (every feature off); a
//     PATCH or PUT of it (a file exported from Auth0 re-imported here) is
//     parsed as a JSON object, ignored, and answered with the same object;
//   - a singleton that an Auth0 tenant also lacks until it is configured
//     (the email provider, the default theme, an email template, the
//     universal login template) is 404, as on Auth0; a feature of other
//     plans (bot detection, CAPTCHA) is 403 feature_not_enabled.
//
// They need any valid Management API token and no particular scope: none
// reveals anything. Nothing is stored; README ("Using Auth0's tools with
// credo") lists every path and the reason it does not apply.

// absentList is a collection credo never has.
type absentList struct {
	path string
	key  string // the array's property in paged answers
	// always: the endpoint answers an object even without include_totals
	// (Auth0's newer list endpoints: actions/modules, forms, flows, …).
	always bool
	// org: the path is below /organizations/{id}, which must exist.
	org bool
}

// absentObject is a settings object credo answers with a fixed value.
type absentObject struct {
	path   string
	body   string   // the JSON answered
	writes []string // methods accepted and ignored (PATCH, PUT)
}

// absentMissing is a singleton an unconfigured Auth0 tenant answers 404.
type absentMissing struct {
	path, message, code string
	status              int      // 404 when 0
	writes              []string // methods answered with the same error
}

var absentLists = []absentList{
	{path: "/rules", key: "rules"},
	{path: "/rules-configs", key: "rules_configs"},
	{path: "/connections", key: "connections"},
	{path: "/roles", key: "roles"},
	{path: "/custom-domains", key: "custom_domains"},
	{path: "/actions/modules", key: "modules", always: true},
	{path: "/prompts/rendering", key: "configs", always: true},
	{path: "/branding/phone/providers", key: "providers", always: true},
	{path: "/branding/phone/templates", key: "templates", always: true},
	{path: "/forms", key: "forms", always: true},
	{path: "/flows", key: "flows", always: true},
	{path: "/flows/vault/connections", key: "connections", always: true},
	{path: "/self-service-profiles", key: "self_service_profiles", always: true},
	{path: "/network-acls", key: "network_acls", always: true},
	{path: "/user-attribute-profiles", key: "user_attribute_profiles", always: true},
	{path: "/connection-profiles", key: "connection_profiles", always: true},
	{path: "/token-exchange-profiles", key: "token_exchange_profiles", always: true},
	{path: "/rate-limit-policies", key: "rate_limit_policies", always: true},
	{path: "/event-streams", key: "eventStreams", always: true},
	{path: "/connections-directory-provisionings", key: "directory_provisionings"},
	// An organization's login connections (credo has no connections).
	{path: "/organizations/{id}/connections", key: "connections", org: true},
	{path: "/organizations/{id}/enabled_connections", key: "enabled_connections", org: true},
}

var absentObjects = []absentObject{
	{path: "/prompts", body: `{"universal_login_experience":"new","identifier_first":false,"webauthn_platform_first_factor":false}`, writes: []string{"PATCH"}},
	{path: "/branding", body: `{}`, writes: []string{"PATCH"}},
	{path: "/attack-protection/breached-password-detection", body: `{"enabled":false,"shields":[],"admin_notification_frequency":[],"method":"standard"}`, writes: []string{"PATCH"}},
	{path: "/attack-protection/brute-force-protection", body: `{"enabled":false,"shields":[],"allowlist":[],"mode":"count_per_identifier_and_ip","max_attempts":10}`, writes: []string{"PATCH"}},
	{path: "/attack-protection/suspicious-ip-throttling", body: `{"enabled":false,"shields":[],"allowlist":[]}`, writes: []string{"PATCH"}},
	{path: "/guardian/factors", body: `[]`},
	{path: "/guardian/policies", body: `[]`, writes: []string{"PUT"}},
	{path: "/guardian/factors/phone/selected-provider", body: `{"provider":"auth0"}`, writes: []string{"PUT"}},
	{path: "/guardian/factors/phone/message-types", body: `{"message_types":[]}`, writes: []string{"PUT"}},
	{path: "/risk-assessments/settings", body: `{"enabled":false}`, writes: []string{"PATCH"}},
	{path: "/risk-assessments/settings/new-device", body: `{"remember_for":30}`, writes: []string{"PATCH"}},
	{path: "/supplemental-signals", body: `{"akamai_enabled":false}`, writes: []string{"PATCH"}},
	{path: "/prompts/{prompt}/custom-text/{language}", body: `{}`, writes: []string{"PUT"}},
}

var absentMissings = []absentMissing{
	{path: "/emails/provider", message: "Email provider has not been configured", code: "inexistent_email_provider"},
	{path: "/branding/themes/default", message: "There is no default theme", code: "theme_not_found"},
	{path: "/branding/templates/universal-login", message: "Template does not exist", code: "inexistent_template"},
	{path: "/email-templates/{templateName}", message: "Template does not exist", code: "inexistent_email_template"},
	{path: "/guardian/factors/sms/providers/twilio", message: "The Twilio provider is not configured", code: "inexistent_provider"},
	{path: "/guardian/factors/phone/providers/twilio", message: "The Twilio provider is not configured", code: "inexistent_provider"},
	{path: "/guardian/factors/push-notification/providers/sns", message: "The SNS provider is not configured", code: "inexistent_provider"},
	{path: "/guardian/factors/push-notification/providers/apns", message: "The APNs provider is not configured", code: "inexistent_provider"},
	{path: "/guardian/factors/sms/templates", message: "The SMS templates are not configured", code: "inexistent_template"},
	{path: "/guardian/factors/phone/templates", message: "The phone templates are not configured", code: "inexistent_template"},
	// Bot detection and CAPTCHA are features of some Auth0 plans; a tenant
	// without them answers 403, which the Deploy CLI skips.
	{path: "/attack-protection/bot-detection", status: 403, message: "Bot detection is not available on this tenant", code: "feature_not_enabled"},
	{path: "/attack-protection/captcha", status: 403, message: "CAPTCHA is not available on this tenant", code: "feature_not_enabled"},
	// Partial prompts need a custom domain, and credo has none: Auth0's
	// answer to a tenant without one.
	{path: "/prompts/{prompt}/partials", status: 400, message: "This feature requires at least one custom domain to be configured for the tenant.", code: "invalid_request", writes: []string{"PUT"}},
}

// absentRoutes are the routes of the collections and settings above. The
// scope list is empty with all set: every authenticated caller passes.
func (a *API) absentRoutes() []route {
	var out []route
	for _, l := range absentLists {
		rt := route{method: "GET", path: l.path, all: true, params: absentParams, h: l.list}
		if l.org { // shares its ServeMux pattern with the organizations' rows
			rt.via, rt.kind = "/organizations/{a}/{b}", kindOrganization
		}
		out = append(out, rt)
	}
	for _, o := range absentObjects {
		out = append(out, route{method: "GET", path: o.path, all: true, params: absentParams, h: o.get})
		for _, m := range o.writes {
			out = append(out, route{method: m, path: o.path, all: true, h: o.write})
		}
	}
	for _, m := range absentMissings {
		out = append(out, route{method: "GET", path: m.path, all: true, params: absentParams, h: m.get})
		for _, w := range m.writes {
			out = append(out, route{method: w, path: m.path, all: true, h: m.get})
		}
	}
	return out
}

// absentParams are the query parameters the absent endpoints take: their
// paging ones (checked) and the filters and projections Auth0 documents for
// them, which cannot change an empty answer.
var absentParams = []string{
	"page", "per_page", "include_totals", "from", "take", "fields", "include_fields",
	"name", "strategy", "enabled", "type", "name_filter", "q", "language", "hydrate", "stage",
	"prompt", "screen", "rendering_mode", "disabled", "channel", "customization", "sort",
}

func (l absentList) list(c *call) (any, error) {
	empty := []any{}
	if l.org {
		if _, err := c.st().GetOrganization(c.r.Context(), c.r.PathValue("id")); err != nil {
			return nil, err
		}
	}
	if c.q.has("from") || c.q.has("take") {
		if _, err := c.q.int("take", defaultPerPage, 1, maxPerPage); err != nil {
			return nil, err
		}
		if _, err := c.q.bool("include_totals", false); err != nil {
			return nil, err
		}
		return checkpointed(l.key, empty, 0, 0, ""), nil
	}
	p, err := c.q.page()
	if err != nil {
		return nil, err
	}
	if _, err := c.q.fields(); err != nil {
		return nil, err
	}
	if l.always {
		return map[string]any{l.key: empty, "start": p.offset(), "limit": p.PerPage, "total": 0, "page": p.Page, "per_page": p.PerPage}, nil
	}
	return paged(p, l.key, empty, 0), nil
}

func (o absentObject) get(c *call) (any, error) {
	if _, err := c.q.fields(); err != nil {
		return nil, err
	}
	return json.RawMessage(o.body), nil
}

// write parses the body as a JSON object (so a malformed request is still
// 400) and ignores it.
func (o absentObject) write(c *call) (any, error) {
	var v map[string]any
	if strings.HasPrefix(strings.TrimSpace(o.body), "[") {
		var l []any
		if err := decodeBody(c.r, &l); err != nil {
			return nil, err
		}
	} else if err := decodeBody(c.r, &v); err != nil {
		return nil, err
	}
	c.status = http.StatusOK
	return json.RawMessage(o.body), nil
}

func (m absentMissing) get(*call) (any, error) {
	if m.status != 0 {
		return nil, &apiError{Status: m.status, Message: m.message, Code: m.code}
	}
	return nil, &apiError{Status: 404, Message: m.message, Code: m.code}
}
