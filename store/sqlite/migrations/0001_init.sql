-- credo schema, version 1.
--
-- Each table keeps the columns that are looked up, ordered or constrained
-- (ids, identifiers, filters) next to a doc column that holds the whole value
-- as JSON. On read the columns win over the doc, so a cascaded update of a
-- column (a renamed API identifier) is seen without rewriting documents.

-- tenant_version is bumped by every write transaction; readers that keep a
-- snapshot rebuild it when the number moves.
CREATE TABLE tenant_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
);
INSERT INTO tenant_version (id, version) VALUES (1, 0);

CREATE TABLE clients (
	client_id TEXT PRIMARY KEY,
	app_type  TEXT NOT NULL,
	doc       TEXT NOT NULL
);
CREATE INDEX clients_app_type ON clients (app_type, client_id);

CREATE TABLE resource_servers (
	id         TEXT PRIMARY KEY,
	identifier TEXT NOT NULL UNIQUE,
	doc        TEXT NOT NULL
);

-- A grant belongs to its client and to the API it names; deleting either
-- deletes the grant, and renaming the API's identifier moves its grants.
CREATE TABLE client_grants (
	id           TEXT PRIMARY KEY,
	client_id    TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
	audience     TEXT NOT NULL REFERENCES resource_servers (identifier) ON DELETE CASCADE ON UPDATE CASCADE,
	subject_type TEXT NOT NULL,
	doc          TEXT NOT NULL,
	UNIQUE (client_id, audience, subject_type)
);
CREATE INDEX client_grants_audience ON client_grants (audience, id);

CREATE TABLE signing_keys (
	kid      TEXT PRIMARY KEY,
	key_type TEXT NOT NULL,
	state    TEXT NOT NULL,
	doc      TEXT NOT NULL
);
-- At most one current key per key type.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (key_type) WHERE state = 'current';

CREATE TABLE actions (
	id  TEXT PRIMARY KEY,
	doc TEXT NOT NULL
);

CREATE TABLE action_bindings (
	trigger   TEXT NOT NULL,
	position  INTEGER NOT NULL,
	action_id TEXT NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
	PRIMARY KEY (trigger, position),
	UNIQUE (trigger, action_id)
);
CREATE INDEX action_bindings_action ON action_bindings (action_id);

CREATE TABLE hooks (
	id  TEXT PRIMARY KEY,
	doc TEXT NOT NULL
);

CREATE TABLE settings (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	doc TEXT NOT NULL
);
INSERT INTO settings (id, doc) VALUES (1, '{}');

-- logs keeps append order in seq; the newest rows are kept, the oldest
-- deleted past the configured bound.
CREATE TABLE logs (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	id  TEXT UNIQUE,
	doc TEXT NOT NULL
);
