-- credo schema, version 3: the tenant's identity, and the change log by kind.
--
-- tenant holds the tenant's canonical issuer and Management API audience,
-- written once by the first credo serve and changed only on purpose (credo
-- tenant set-issuer), so that a process started with another --issuer
-- refuses to start instead of moving the tenant.
CREATE TABLE tenant (
	id  integer PRIMARY KEY CHECK (id = 1),
	doc jsonb NOT NULL
);

-- Each change names the kind and id of what it wrote (client, resource
-- server, client grant, signing keys, action, binding, hook, settings,
-- tenant), so that a reader patches its snapshot for any write; client_id
-- keeps naming the client a client or client-grant change belongs to. Rows
-- from before this version have no kind: a reader reloads everything.
ALTER TABLE changes ADD COLUMN kind text;
ALTER TABLE changes ADD COLUMN entity_id text COLLATE "C";
