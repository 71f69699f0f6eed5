package oauth

import (
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Grant types and client authentication methods (RFC 6749, RFC 7591 names).
const (
	GrantClientCredentials = "client_credentials"

	AuthSecretPost  = "client_secret_post"
	AuthSecretBasic = "client_secret_basic"
	AuthNone        = "none"
)

// Token dialects (Auth0 resource server token_dialect).
const (
	DialectAuth0   = "access_token"
	DialectRFC9068 = "rfc9068_profile"
)

// MaxBodyBytes bounds every token request body.
const MaxBodyBytes = 64 << 10

// Error is an OAuth error as written by the token endpoint.
type Error struct {
	Status      int
	Code        string
	Description string
	// Basic asks for a WWW-Authenticate: Basic challenge (RFC 6749 §5.2:
	// when the client tried HTTP Basic authentication).
	Basic bool
	// RetryAfter, when > 0, is sent as Retry-After (seconds).
	RetryAfter int
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Description }

// WithBasic returns a copy of e that carries the Basic challenge.
func (e *Error) WithBasic() *Error {
	c := *e
	c.Basic = true
	return &c
}

// WithRetryAfter returns a copy of e that asks the client to retry after
// seconds.
func (e *Error) WithRetryAfter(seconds int) *Error {
	c := *e
	c.RetryAfter = seconds
	return &c
}

// Constructors for the errors credo returns. Descriptions follow Auth0's
// wording where Auth0 documents or was observed to send one (reference §1.4).

// InvalidRequest is 400 invalid_request (RFC 6749 §5.2).
func InvalidRequest(desc string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: desc}
}

// MissingParameter is 400 invalid_request naming the missing parameter.
func MissingParameter(name string) *Error {
	return InvalidRequest("Missing required parameter: " + name)
}

// DuplicateParameter is 400 invalid_request for a parameter sent twice (RFC 6749 §3.2).
func DuplicateParameter(name string) *Error {
	return InvalidRequest("Parameter sent more than once: " + name)
}

// InvalidClient is 401 invalid_client: unknown client, wrong or missing
// secret (the default, RFC 6749 wording used by Auth0's newer endpoints).
func InvalidClient() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "invalid_client", Description: "Client authentication failed"}
}

// Auth0Unauthorized is Auth0's legacy answer to a bad secret, used in
// auth0-compat error mode: 401 access_denied "Unauthorized".
func Auth0Unauthorized() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "access_denied", Description: "Unauthorized"}
}

// UnsupportedGrantType is 400 unsupported_grant_type.
func UnsupportedGrantType(gt string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "unsupported_grant_type", Description: "Unsupported grant type: " + gt}
}

// UnauthorizedClient is 403 unauthorized_client: the grant is not enabled on the client.
func UnauthorizedClient(gt string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "unauthorized_client", Description: "Grant type '" + gt + "' not allowed for the client."}
}

// NoClientGrant is 403 access_denied when the client has no grant for the audience.
func NoClientGrant(aud string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "access_denied", Description: `Client is not authorized to access "` + aud + `". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`}
}

// OrganizationNotAllowed: the request names an organization but the client
// grant for aud has organization_usage deny. (It does not depend on the
// organization named, which is not looked up.)
func OrganizationNotAllowed(aud string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request",
		Description: `Organizations are not allowed for this client and audience "` + aud + `" (organization_usage is deny); send the request without organization`}
}

// OrganizationRequired: the client grant for aud has organization_usage
// require, the request names no organization and the client has no default
// organization for client_credentials.
func OrganizationRequired(aud string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request",
		Description: `An organization is required for this client and audience "` + aud + `": send organization (an organization id or name)`}
}

// OrganizationDenied: the organization the request names does not exist, or
// the client grant for aud may not be used with it. The two are one answer
// on purpose, and the description does not repeat the name sent.
func OrganizationDenied(aud string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "access_denied",
		Description: `Client is not authorized to access "` + aud + `" for the requested organization`}
}

// DefaultOrganizationDenied: the client's default organization, applied
// because the grant for aud requires one, no longer exists or is not one
// the grant may be used with.
func DefaultOrganizationDenied(aud string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "access_denied",
		Description: `Client is not authorized to access "` + aud + `" for its default organization`}
}

// ServiceNotFound is 403 access_denied for an unknown audience.
func ServiceNotFound(aud string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "access_denied", Description: "Service not found: " + aud}
}

// InvalidScope is 400 invalid_scope (RFC 6749 §5.2).
func InvalidScope(desc string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_scope", Description: desc}
}

// ServerError is 500 server_error. Its description never carries internal detail.
func ServerError(desc string) *Error {
	if desc == "" {
		desc = "The server encountered an unexpected error"
	}
	return &Error{Status: http.StatusInternalServerError, Code: "server_error", Description: desc}
}

// TooLarge is 413 for a body over MaxBodyBytes.
func TooLarge() *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request", Description: "Request body too large (limit " + strconv.Itoa(MaxBodyBytes) + " bytes)"}
}

// MethodNotAllowed is 405 for anything but POST on the token endpoint.
func MethodNotAllowed() *Error {
	return &Error{Status: http.StatusMethodNotAllowed, Code: "invalid_request", Description: "Method not allowed; use POST"}
}

// NotFound is 404 for unknown paths under the OAuth surface.
func NotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Description: "Not found"}
}

// TemporarilyUnavailable is 503 temporarily_unavailable (RFC 6749 §4.1.2.1's
// code): the server cannot take the request now; the client may retry.
func TemporarilyUnavailable(desc string) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: desc}
}

// TooManyRequests is 429 too_many_requests.
func TooManyRequests(desc string) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: "too_many_requests", Description: desc}
}

func noStore(h http.Header) {
	h["Content-Type"] = []string{"application/json"}
	h["Cache-Control"] = []string{"no-store"}
	h["Pragma"] = []string{"no-cache"}
}

// WriteError writes e as {"error","error_description"} with no-store headers.
func WriteError(w http.ResponseWriter, e *Error) {
	h := w.Header()
	noStore(h)
	if e.Basic {
		h.Set("WWW-Authenticate", `Basic realm="credo", charset="UTF-8"`)
	}
	if e.Status == http.StatusMethodNotAllowed {
		h.Set("Allow", "POST")
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	buf := make([]byte, 0, 64+len(e.Description))
	buf = append(buf, `{"error":`...)
	buf = AppendJSONString(buf, e.Code)
	buf = append(buf, `,"error_description":`...)
	buf = AppendJSONString(buf, e.Description)
	buf = append(buf, "}\n"...)
	w.WriteHeader(e.Status)
	w.Write(buf)
}

// Token is a successful token response (RFC 6749 §5.1).
type Token struct {
	AccessToken string
	TokenType   string
	ExpiresIn   int64
	Scope       string
}

// WriteToken writes t as {"access_token","token_type","expires_in"[,"scope"]}
// with no-store headers. It is on the hot path, so it appends bytes directly.
func WriteToken(w http.ResponseWriter, t Token) {
	noStore(w.Header())
	buf := make([]byte, 0, len(t.AccessToken)+len(t.Scope)+96)
	buf = append(buf, `{"access_token":`...)
	buf = AppendJSONString(buf, t.AccessToken)
	buf = append(buf, `,"token_type":`...)
	buf = AppendJSONString(buf, t.TokenType)
	buf = append(buf, `,"expires_in":`...)
	buf = strconv.AppendInt(buf, t.ExpiresIn, 10)
	if t.Scope != "" {
		buf = append(buf, `,"scope":`...)
		buf = AppendJSONString(buf, t.Scope)
	}
	buf = append(buf, "}\n"...)
	w.WriteHeader(http.StatusOK)
	w.Write(buf)
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string literal, escaping as
// encoding/json does (including <, >, & and U+2028/U+2029).
func AppendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0xFFFD && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
