-- credo schema, version 1.
--
-- Each table keeps the columns that are looked up, ordered or constrained
-- (ids, identifiers, filters) next to a doc column that holds the whole value
-- as JSON. On read the columns win over the doc, so a cascaded update of a
-- column (a renamed API identifier) is seen without rewriting documents.

-- Text columns use the "C" collation: ids sort and compare byte-wise, as in
-- Go and in the SQLite backend, whatever the database's default collation.

-- tenant_version is bumped by every write transaction, which also sends
-- NOTIFY credo_changes; readers that keep a snapshot rebuild it when the
-- number moves. Its row lock orders concurrent writers' commits.
CREATE TABLE tenant_version (
	id      integer PRIMARY KEY CHECK (id = 1),
	version bigint NOT NULL
);
INSERT INTO tenant_version (id, version) VALUES (1, 0);

CREATE TABLE clients (
	client_id text COLLATE "C" PRIMARY KEY,
	app_type  text COLLATE "C" NOT NULL,
	doc       jsonb NOT NULL
);
CREATE INDEX clients_app_type ON clients (app_type, client_id);

CREATE TABLE resource_servers (
	id         text COLLATE "C" PRIMARY KEY,
	identifier text COLLATE "C" NOT NULL UNIQUE,
	doc        jsonb NOT NULL
);

-- A grant belongs to its client and to the API it names; deleting either
-- deletes the grant, and renaming the API's identifier moves its grants.
CREATE TABLE client_grants (
	id           text COLLATE "C" PRIMARY KEY,
	client_id    text COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
	audience     text COLLATE "C" NOT NULL REFERENCES resource_servers (identifier) ON DELETE CASCADE ON UPDATE CASCADE,
	subject_type text COLLATE "C" NOT NULL,
	doc          jsonb NOT NULL,
	UNIQUE (client_id, audience, subject_type)
);
CREATE INDEX client_grants_audience ON client_grants (audience, id);

CREATE TABLE signing_keys (
	kid      text COLLATE "C" PRIMARY KEY,
	key_type text COLLATE "C" NOT NULL,
	state    text COLLATE "C" NOT NULL,
	doc      jsonb NOT NULL
);
-- At most one current key per key type.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (key_type) WHERE state = 'current';

CREATE TABLE actions (
	id  text COLLATE "C" PRIMARY KEY,
	doc jsonb NOT NULL
);

CREATE TABLE action_bindings (
	trigger   text COLLATE "C" NOT NULL,
	position  integer NOT NULL,
	action_id text COLLATE "C" NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
	PRIMARY KEY (trigger, position),
	UNIQUE (trigger, action_id)
);
CREATE INDEX action_bindings_action ON action_bindings (action_id);

CREATE TABLE hooks (
	id  text COLLATE "C" PRIMARY KEY,
	doc jsonb NOT NULL
);

CREATE TABLE settings (
	id  integer PRIMARY KEY CHECK (id = 1),
	doc jsonb NOT NULL
);
INSERT INTO settings (id, doc) VALUES (1, '{}');

-- logs keeps append order in seq, assigned by the (serialised) appends
-- without gaps, so seq order is commit order; the newest rows are kept, the
-- oldest deleted past the bound.
CREATE TABLE logs (
	seq bigint PRIMARY KEY,
	id  text COLLATE "C" NOT NULL UNIQUE,
	doc jsonb NOT NULL
);
