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
	seq         bigserial PRIMARY KEY,
	id          text COLLATE "C" NOT NULL UNIQUE,
	date_ms     bigint NOT NULL,
	type        text NOT NULL,
	description text,
	client_id   text,
	client_name text,
	ip          text,
	user_agent  text,
	hostname    text,
	audience    text,
	scope       text,
	doc         jsonb NOT NULL
);
CREATE INDEX audit_log_date ON audit_log (date_ms);

ALTER TABLE logs
	ADD COLUMN date_ms bigint,
	ADD COLUMN type text,
	ADD COLUMN description text,
	ADD COLUMN client_id text,
	ADD COLUMN client_name text,
	ADD COLUMN ip text,
	ADD COLUMN user_agent text,
	ADD COLUMN hostname text,
	ADD COLUMN audience text,
	ADD COLUMN scope text;
UPDATE logs SET
	date_ms     = (extract(epoch FROM (doc->>'Date')::timestamptz) * 1000)::bigint,
	type        = doc->>'Type',
	description = doc->>'Description',
	client_id   = doc->>'ClientID',
	client_name = doc->>'ClientName',
	ip          = doc->>'IP',
	user_agent  = doc->>'UserAgent',
	hostname    = doc->>'Hostname',
	audience    = doc->>'Audience',
	scope       = doc->>'Scope';

-- revoked_tokens holds access tokens revoked one by one (RFC 7009), until
-- they would have expired anyway (expires_ms, Unix milliseconds); revoking
-- a client's every token is its doc's TokensNotBefore instead.
CREATE TABLE revoked_tokens (
	jti        text COLLATE "C" PRIMARY KEY,
	expires_ms bigint NOT NULL,
	doc        jsonb NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_ms);
