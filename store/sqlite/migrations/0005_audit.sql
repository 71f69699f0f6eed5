-- credo schema, version 5: the durable audit log, searchable log columns, revoked tokens.
--
-- audit_log holds one entry per audited write (every Management API write,
-- automatic key rotation), inserted by the write's own transaction, so an
-- acknowledged write always has its entry. Nothing bounds it but the
-- retention a server is started with (credo serve --audit-retention): the
-- token-exchange events in logs, which are bounded, can never evict an
-- entry here.
--
-- Both tables carry the fields a log search (GET /api/v2/logs?q=) tests as
-- columns; date_ms is the event's date in Unix milliseconds.
CREATE TABLE audit_log (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	date_ms     INTEGER NOT NULL,
	type        TEXT NOT NULL,
	description TEXT,
	client_id   TEXT,
	client_name TEXT,
	ip          TEXT,
	user_agent  TEXT,
	hostname    TEXT,
	audience    TEXT,
	scope       TEXT,
	doc         TEXT NOT NULL
);
CREATE INDEX audit_log_date ON audit_log (date_ms);

ALTER TABLE logs ADD COLUMN date_ms INTEGER;
ALTER TABLE logs ADD COLUMN type TEXT;
ALTER TABLE logs ADD COLUMN description TEXT;
ALTER TABLE logs ADD COLUMN client_id TEXT;
ALTER TABLE logs ADD COLUMN client_name TEXT;
ALTER TABLE logs ADD COLUMN ip TEXT;
ALTER TABLE logs ADD COLUMN user_agent TEXT;
ALTER TABLE logs ADD COLUMN hostname TEXT;
ALTER TABLE logs ADD COLUMN audience TEXT;
ALTER TABLE logs ADD COLUMN scope TEXT;
UPDATE logs SET
	date_ms     = CAST(round((julianday(json_extract(doc, '$.Date')) - 2440587.5) * 86400000) AS INTEGER),
	type        = json_extract(doc, '$.Type'),
	description = json_extract(doc, '$.Description'),
	client_id   = json_extract(doc, '$.ClientID'),
	client_name = json_extract(doc, '$.ClientName'),
	ip          = json_extract(doc, '$.IP'),
	user_agent  = json_extract(doc, '$.UserAgent'),
	hostname    = json_extract(doc, '$.Hostname'),
	audience    = json_extract(doc, '$.Audience'),
	scope       = json_extract(doc, '$.Scope');

-- revoked_tokens holds access tokens revoked one by one (RFC 7009), until
-- they would have expired anyway (expires_ms, Unix milliseconds); revoking
-- a client's every token is its doc's TokensNotBefore instead.
CREATE TABLE revoked_tokens (
	jti        TEXT PRIMARY KEY,
	expires_ms INTEGER NOT NULL,
	doc        TEXT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_ms);
