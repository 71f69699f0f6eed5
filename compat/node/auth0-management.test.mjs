// Auth0's official Node SDK (npm auth0 v7, ManagementClient) driving credo's
// Management API v2, pointed at credo by its domain and a fetch that maps
// https://127.0.0.1:PORT (the SDK always builds https URLs) to the plain-http
// loopback listener. Each change must hold on the very next token request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ManagementClient, ManagementError } from 'auth0';
import { issuer, admin, requestToken, loopbackFetch } from './env.mjs';

const { host: domain } = new URL(issuer); // 127.0.0.1:PORT

function management() {
  return new ManagementClient({
    domain,
    clientId: admin.id,
    clientSecret: admin.secret,
    audience: `${issuer}api/v2/`, // credo's Management API audience is <issuer>api/v2/ (the SDK's default assumes https)
    fetch: loopbackFetch,
  });
}

function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

test('ManagementClient: API, client, grant, rotation and deletion take effect on the next token request', async (t) => {
  const probe = await fetch(`${issuer}api/v2/clients`);
  if (probe.status === 404) {
    t.skip(`credo does not serve the Management API yet: GET ${issuer}api/v2/clients without a token answered 404 (expected 401)`);
    return;
  }
  assert.equal(probe.status, 401, 'GET /api/v2/clients without a token');
  assert.deepEqual(Object.keys(await probe.json()).sort(), ['error', 'errorCode', 'message', 'statusCode']);

  const mgmt = management();
  const identifier = `https://mgmt.compat.test/${randomUUID()}`;

  const rs = await mgmt.resourceServers.create({
    name: 'Compat Management API test',
    identifier,
    scopes: [{ value: 'read:things', description: 'Read things' }, { value: 'write:things', description: 'Write things' }],
    signing_alg: 'RS256',
    token_lifetime: 600,
  });
  assert.equal(rs.identifier, identifier);
  assert.ok(rs.id, 'resource server without id');
  const fetched = await mgmt.resourceServers.get(rs.id);
  assert.equal(fetched.identifier, identifier);
  assert.equal(fetched.token_lifetime, 600);

  const created = await mgmt.clients.create({
    name: 'Compat Management API client',
    app_type: 'non_interactive',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_post',
  });
  assert.ok(created.client_id, 'no client_id in the create response');
  assert.ok(created.client_secret && created.client_secret.length >= 32, 'no high-entropy client_secret in the create response');
  const cid = created.client_id;
  let secret = created.client_secret;

  let r = await requestToken({ id: cid, secret }, identifier);
  assert.equal(r.status, 403, `token before any grant: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error, 'access_denied');
  assert.match(r.body.error_description, new RegExp(`^Client is not authorized to access "${identifier}"`));

  const grant = await mgmt.clientGrants.create({ client_id: cid, audience: identifier, scope: ['read:things'] });
  assert.ok(grant.id, 'client grant without id');
  assert.deepEqual(grant.scope, ['read:things']);

  r = await requestToken({ id: cid, secret }, identifier);
  assert.equal(r.status, 200, `token right after the grant: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.scope, 'read:things');
  assert.equal(r.body.expires_in, 600);
  assert.equal(claimsOf(r.body.access_token).sub, `${cid}@clients`);

  const updated = await mgmt.clientGrants.update(grant.id, { scope: ['read:things', 'write:things'] });
  assert.deepEqual([...updated.scope].sort(), ['read:things', 'write:things']);
  r = await requestToken({ id: cid, secret }, identifier);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.scope.split(' ').sort(), ['read:things', 'write:things'], 'the next token has the updated scopes');

  const rotated = await mgmt.clients.rotateSecret(cid);
  assert.ok(rotated.client_secret && rotated.client_secret !== secret, 'rotate-secret returned no new secret');
  r = await requestToken({ id: cid, secret }, identifier);
  assert.equal(r.status, 401, `old secret after rotation: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error, 'invalid_client');
  secret = rotated.client_secret;
  r = await requestToken({ id: cid, secret }, identifier);
  assert.equal(r.status, 200, `new secret after rotation: ${JSON.stringify(r.body)}`);

  await mgmt.clientGrants.delete(grant.id);
  r = await requestToken({ id: cid, secret }, identifier);
  assert.equal(r.status, 403, `token after deleting the grant: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error, 'access_denied');

  await mgmt.clients.delete(cid);
  r = await requestToken({ id: cid, secret }, identifier);
  assert.equal(r.status, 401, `token after deleting the client: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error, 'invalid_client');

  await assert.rejects(mgmt.clients.get(cid), (err) => {
    assert.ok(err instanceof ManagementError, `not a ManagementError: ${err}`);
    assert.equal(err.statusCode, 404);
    assert.equal(err.body?.errorCode, 'inexistent_client');
    return true;
  });

  await mgmt.resourceServers.delete(rs.id);
  await assert.rejects(mgmt.resourceServers.get(rs.id), (err) => err instanceof ManagementError && err.statusCode === 404);
});
