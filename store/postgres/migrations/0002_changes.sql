-- credo schema, version 2: the change log.
--
-- One row per write transaction, keyed by the tenant version it produced:
-- client_id names the one client whose record or grants the write changed,
-- NULL when it changed anything else. A process holding a snapshot at version
-- v reads the rows after v and, when they all name clients, re-reads only
-- those clients instead of loading the whole tenant. Only the newest rows are
-- kept (the writer deletes older ones); a reader that finds the log does not
-- reach back to its version loads everything.
CREATE TABLE changes (
	version   bigint PRIMARY KEY,
	client_id text
);
