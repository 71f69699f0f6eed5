package mgmt

// What GET returns, POST and PATCH accept: tools such as the Deploy CLI and
// Terraform read an object, change a field and send the object back. The
// read-only fields of each object are therefore accepted in request bodies
// and ignored: a timestamp is the server's, and an identity (id, client_id,
// audience, identifier, subject_type) cannot change, so a PATCH that names a
// different one is refused, not ignored.

// readOnlyTimes are the timestamps every object carries.
type readOnlyTimes struct {
	CreatedAt *string `json:"created_at,omitempty"`
	UpdatedAt *string `json:"updated_at,omitempty"`
}

// clientReadOnly are the client fields that GET returns and writes ignore.
type clientReadOnly struct {
	readOnlyTimes
	// Callbacks are redirect URIs of interactive logins, which credo never
	// runs; GET always answers [].
	Callbacks *[]string `json:"callbacks,omitempty"`
	// IsGlobal may only be false: no credo client is the global client.
	IsGlobal *bool `json:"is_global,omitempty"`
	// PreviousSecretExpiresAt is set by rotate-secret only.
	PreviousSecretExpiresAt *string `json:"previous_secret_expires_at,omitempty"`
}

func (r clientReadOnly) check() error {
	if r.IsGlobal != nil && *r.IsGlobal {
		return errBody("the global client cannot be created or changed; is_global must be false", "is_global")
	}
	return nil
}

// resourceServerReadOnly are the resource server fields writes ignore.
type resourceServerReadOnly struct {
	readOnlyTimes
	ID *string `json:"id,omitempty"`
	// IsSystem may only be false, or on the system API itself true.
	IsSystem *bool `json:"is_system,omitempty"`
}

// grantReadOnly are the client grant fields a PATCH ignores (POST takes
// client_id, audience and subject_type as data).
type grantReadOnly struct {
	readOnlyTimes
	ID          *string `json:"id,omitempty"`
	ClientID    *string `json:"client_id,omitempty"`
	Audience    *string `json:"audience,omitempty"`
	SubjectType *string `json:"subject_type,omitempty"`
}

// actionReadOnly are the action fields writes ignore: the state of its
// versions is the server's (deploy with POST …/deploy).
type actionReadOnly struct {
	readOnlyTimes
	ID                 *string         `json:"id,omitempty"`
	AllChangesDeployed *bool           `json:"all_changes_deployed,omitempty"`
	DeployedVersion    *map[string]any `json:"deployed_version,omitempty"`
	Status             *string         `json:"status,omitempty"`
	// Deployed is what the Deploy CLI's files say of an action.
	Deployed *bool `json:"deployed,omitempty"`
}

// same refuses a PATCH naming an identity other than the object's.
func same(field string, given *string, current string) error {
	if given != nil && *given != current {
		return errBody(field+" cannot be changed", field)
	}
	return nil
}

// same checks the identity fields of a grant PATCH against the grant.
func (r grantReadOnly) same(c *call, id string) error {
	if r.ID == nil && r.ClientID == nil && r.Audience == nil && r.SubjectType == nil {
		return nil
	}
	g, err := c.st().GetClientGrant(c.r.Context(), id)
	if err != nil {
		return err
	}
	v := ClientGrantView(g)
	for _, f := range []struct {
		name    string
		given   *string
		current string
	}{{"id", r.ID, v.ID}, {"client_id", r.ClientID, v.ClientID}, {"audience", r.Audience, v.Audience}, {"subject_type", r.SubjectType, v.SubjectType}} {
		if err := same(f.name, f.given, f.current); err != nil {
			return err
		}
	}
	return nil
}
