-- credo schema, version 4: organizations and their client grants.
--
-- An organization's name is unique. organization_client_grants associates a
-- client grant with an organization (the grant may be used with it when its
-- organization_usage is allow or require); deleting either side deletes the
-- association in the same transaction, so deleting a client or an API (which
-- deletes their grants) removes their grants from every organization too.
CREATE TABLE organizations (
	id   text COLLATE "C" PRIMARY KEY,
	name text COLLATE "C" NOT NULL UNIQUE,
	doc  jsonb NOT NULL
);

CREATE TABLE organization_client_grants (
	organization_id text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	grant_id        text COLLATE "C" NOT NULL REFERENCES client_grants (id) ON DELETE CASCADE,
	PRIMARY KEY (organization_id, grant_id)
);
CREATE INDEX organization_client_grants_grant ON organization_client_grants (grant_id);

-- allow_any_organization is a column (0 or 1) so that GET /client-grants can
-- filter by it; grants written before this version allow none.
ALTER TABLE client_grants ADD COLUMN allow_any_organization integer NOT NULL DEFAULT 0;
