-- credo schema, version 6: the dashboard's hourly usage counters and its
-- one-time login links.
--
-- usage holds one row per (hour, metric, client, reason): the number of token
-- exchanges (metric 'tokens', reason '') or denials (metric 'denials', reason
-- the OAuth error code) a client had in the hour starting at hour (Unix
-- seconds, UTC). The server aggregates in memory and adds its counts every
-- few seconds, so the token endpoint never writes here itself.
CREATE TABLE usage (
	hour      bigint NOT NULL,
	metric    text NOT NULL,
	client_id text COLLATE "C" NOT NULL,
	reason    text NOT NULL,
	count     bigint NOT NULL,
	PRIMARY KEY (hour, metric, client_id, reason)
);

-- dashboard_login_links holds the links credo dashboard login-link prints,
-- by the SHA-256 of their token (never the token): a link is deleted when it
-- is used, and expired ones are deleted by the next use of any link.
CREATE TABLE dashboard_login_links (
	hash       text PRIMARY KEY,
	name       text NOT NULL,
	scopes     text NOT NULL,
	created_at bigint NOT NULL,
	expires_at bigint NOT NULL
);
