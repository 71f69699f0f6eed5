package mgmt

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/credo-dev/credo/internal/keys"
	"github.com/credo-dev/credo/internal/tenant"
	"github.com/credo-dev/credo/store"
)

// apiError is every error the Management API writes: Auth0's
// {"statusCode","error","message","errorCode"}. cause, when set, is logged
// and never sent.
type apiError struct {
	Status  int
	Message string
	Code    string
	cause   error
	allow   string // Allow header for 405
	// challenge is the WWW-Authenticate header of a 401 (RFC 6750 §3).
	challenge string
	// retryAfter, when > 0, is sent as Retry-After (seconds).
	retryAfter int
}

// Error is the message, as a CLI shows it.
func (e *apiError) Error() string { return e.Message }

// errorBody is the wire shape, fields in Auth0's order.
type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode"`
}

func errMissingAuth() *apiError {
	return &apiError{Status: 401, Message: "Missing authentication", Code: "invalid_token", challenge: "Bearer"}
}

func errInvalidToken() *apiError {
	return &apiError{Status: 401, Message: "Invalid token", Code: "invalid_token", challenge: `Bearer error="invalid_token"`}
}

func errScope(all bool, scopes []string) *apiError {
	kind := "any"
	if all {
		kind = "all"
	}
	msg := "Insufficient scope, expected " + kind + " of: "
	for i, s := range scopes {
		if i > 0 {
			msg += ","
		}
		msg += s
	}
	return &apiError{Status: 403, Message: msg, Code: "insufficient_scope"}
}

// errBody is 400 invalid_body with Auth0's "Payload validation error: '…'" text.
func errBody(msg, property string) *apiError {
	m := "Payload validation error: '" + msg + "'"
	if property != "" {
		m += " on property " + property
	}
	return &apiError{Status: 400, Message: m + ".", Code: "invalid_body"}
}

// errQuery is 400 invalid_query_string.
func errQuery(msg, property string) *apiError {
	m := "Query validation error: '" + msg + "'"
	if property != "" {
		m += " on property " + property
	}
	return &apiError{Status: 400, Message: m + ".", Code: "invalid_query_string"}
}

func errInvalidJSON() *apiError {
	return &apiError{Status: 400, Message: "Invalid request payload JSON format", Code: "invalid_body"}
}

func errTooLarge() *apiError {
	return &apiError{Status: 413, Message: fmt.Sprintf("Payload content length greater than maximum allowed: %d", maxBody), Code: "payload_too_large"}
}

func errMediaType() *apiError {
	return &apiError{Status: 415, Message: "Unsupported Media Type: send application/json", Code: "unsupported_media_type"}
}

func errRouteNotFound() *apiError {
	return &apiError{Status: 404, Message: "Not Found", Code: "not_found"}
}

func errMethod(allow string) *apiError {
	return &apiError{Status: 405, Message: "Method Not Allowed", Code: "method_not_allowed", allow: allow}
}

func errSystem() *apiError {
	return &apiError{Status: 403, Message: "The Management API is a system resource server and cannot be modified or deleted", Code: "operation_not_supported"}
}

// errUnavailable is 503 for a write or read the store could not take now.
func errUnavailable(cause error) *apiError {
	return &apiError{Status: 503, Message: "The tenant's database is unavailable; nothing was changed. Retry later", Code: "temporarily_unavailable", cause: cause, retryAfter: 5}
}

func errInternal(cause error) *apiError {
	return &apiError{Status: 500, Message: "Internal error", Code: "internal_error", cause: cause}
}

// kind names what a route addresses, for the 404 and 409 texts.
type kind int

const (
	kindNone kind = iota
	kindClient
	kindResourceServer
	kindGrant
	kindKey
	kindLog
	kindOrganization
	// kindOrgGrant is an organization's grant association (a missing
	// organization is still kindOrganization's 404, see toAPIError).
	kindOrgGrant
)

func errNotFound(k kind) *apiError {
	switch k {
	case kindClient:
		return &apiError{Status: 404, Message: "The client does not exist", Code: "inexistent_client"}
	case kindResourceServer:
		return &apiError{Status: 404, Message: "The resource server does not exist", Code: "inexistent_resource_server"}
	case kindGrant:
		return &apiError{Status: 404, Message: "The client grant does not exist", Code: "inexistent_client_grant"}
	case kindKey:
		return &apiError{Status: 404, Message: "The signing key does not exist", Code: "inexistent_key"}
	case kindLog:
		return &apiError{Status: 404, Message: "The log event does not exist", Code: "inexistent_log"}
	case kindOrganization:
		return &apiError{Status: 404, Message: "No organization found by that id or name", Code: "inexistent_organization"}
	case kindOrgGrant:
		return &apiError{Status: 404, Message: "The client grant is not associated with the organization", Code: "inexistent_organization_client_grant"}
	}
	return errRouteNotFound()
}

func errConflict(k kind) *apiError {
	switch k {
	case kindClient:
		return &apiError{Status: 409, Message: "A client with the same client_id already exists", Code: "client_conflict"}
	case kindResourceServer:
		return &apiError{Status: 409, Message: "A resource server with the same identifier already exists", Code: "resource_server_conflict"}
	case kindGrant:
		return &apiError{Status: 409, Message: "A client grant for this client, audience and subject_type already exists", Code: "client_grant_conflict"}
	case kindOrganization:
		return &apiError{Status: 409, Message: "An organization with the same name already exists", Code: "organization_conflict"}
	case kindOrgGrant:
		return &apiError{Status: 409, Message: "The client grant is already associated with the organization", Code: "organization_client_grant_conflict"}
	}
	return &apiError{Status: 409, Message: "Conflict", Code: "conflict"}
}

// toAPIError maps what a handler returned to the error written.
func toAPIError(err error, k kind) *apiError {
	var ae *apiError
	var ve *tenant.ValidationError
	var nf *tenant.NotFoundError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ve):
		return errBody(ve.Msg, ve.Field)
	case errors.As(err, &nf):
		switch nf.What {
		case "client":
			return errNotFound(kindClient)
		case "resource server":
			return errNotFound(kindResourceServer)
		case "organization":
			return errNotFound(kindOrganization)
		case "client grant":
			return errNotFound(kindGrant)
		}
		return errNotFound(k)
	case errors.Is(err, tenant.ErrSystem):
		return errSystem()
	case errors.Is(err, store.ErrNotFound), errors.Is(err, keys.ErrNoKey):
		return errNotFound(k)
	case errors.Is(err, store.ErrConflict):
		return errConflict(k)
	case errors.Is(err, store.ErrUnavailable):
		return errUnavailable(err)
	case errors.Is(err, keys.ErrNotRevocable):
		return &apiError{Status: 400, Message: "Only the previous signing key can be revoked", Code: "invalid_key_state"}
	}
	return errInternal(err)
}

// writeError writes e; the single place Management API errors reach the wire.
func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if e.challenge != "" {
		h.Set("WWW-Authenticate", e.challenge)
	}
	if e.allow != "" {
		h.Set("Allow", e.allow)
	}
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	w.WriteHeader(e.Status)
	b, _ := marshal(errorBody{StatusCode: e.Status, Error: http.StatusText(e.Status), Message: e.Message, ErrorCode: e.Code})
	w.Write(b)
}
