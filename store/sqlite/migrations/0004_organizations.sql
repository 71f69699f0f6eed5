-- credo schema, version 4: organizations and their client grants.
--
-- An organization's name is unique. organization_client_grants associates a
-- client grant with an organization (the grant may be used with it when its
-- organization_usage is allow or require); deleting either side deletes the
-- association in the same transaction, so deleting a client or an API (which
-- deletes their grants) removes their grants from every organization too.
CREATE TABLE organizations (
	id   TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	doc  TEXT NOT NULL
);

CREATE TABLE organization_client_grants (
	organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	grant_id        TEXT NOT NULL REFERENCES client_grants (id) ON DELETE CASCADE,
	PRIMARY KEY (organization_id, grant_id)
);
CREATE INDEX organization_client_grants_grant ON organization_client_grants (grant_id);

-- allow_any_organization is a column (0 or 1) so that GET /client-grants can
-- filter by it; grants written before this version allow none.
ALTER TABLE client_grants ADD COLUMN allow_any_organization INTEGER NOT NULL DEFAULT 0;
