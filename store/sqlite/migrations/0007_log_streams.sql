-- credo schema, version 7: log streams.
--
-- log_streams holds the log streams (/api/v2/log-streams), each with its
-- delivery cursor (the last log id delivered), failure state and the lease
-- of the replica delivering it, in its doc.
CREATE TABLE log_streams (
	id  TEXT PRIMARY KEY,
	doc TEXT NOT NULL
);
