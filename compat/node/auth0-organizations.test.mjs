// Auth0's official Node SDK (npm auth0 v7.1.0) with Organizations for M2M:
// ManagementClient.organizations.* (create, get, getByName, list, update,
// clientGrants.create/list/delete, delete), grants with organization_usage,
// ManagementClient.clientGrants.organizations.list,
// and the SDK's AuthenticationClient (auth0/legacy, v4 API, shipped in the
// same package) sending organization in clientCredentialsGrant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ManagementClient, ManagementError } from 'auth0';
import { AuthenticationClient } from 'auth0/legacy';
import { issuer, admin, requestToken, loopbackFetch } from './env.mjs';

const { host: domain } = new URL(issuer); // 127.0.0.1:PORT

function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

test('ManagementClient.organizations and AuthenticationClient with organization', async () => {
  const mgmt = new ManagementClient({ domain, clientId: admin.id, clientSecret: admin.secret, audience: `${issuer}api/v2/`, fetch: loopbackFetch });
  const identifier = `https://orgs.compat.test/${randomUUID()}`;
  const name = `acme-${randomUUID().slice(0, 8)}`;

  const rs = await mgmt.resourceServers.create({ name: 'Compat orgs API', identifier, scopes: [{ value: 'read:data', description: 'Read' }] });

  const org = await mgmt.organizations.create({
    name,
    display_name: 'Acme Corp',
    branding: { logo_url: 'https://acme.example/logo.png', colors: { primary: '#0050ff', page_background: '#ffffff' } },
    metadata: { plan: 'gold' },
  });
  assert.match(org.id, /^org_/);
  assert.equal(org.display_name, 'Acme Corp');
  assert.equal(org.branding.colors.primary, '#0050ff');
  assert.equal((await mgmt.organizations.get(org.id)).name, name);
  assert.equal((await mgmt.organizations.getByName(name)).id, org.id);

  const page = await mgmt.organizations.list({ per_page: 100 });
  assert.ok(page.data.some((o) => o.id === org.id), 'the new organization is listed');

  const updated = await mgmt.organizations.update(org.id, { display_name: 'Acme Europe', metadata: { region: 'eu' } });
  assert.equal(updated.display_name, 'Acme Europe');
  assert.deepEqual(updated.metadata, { plan: 'gold', region: 'eu' });

  await assert.rejects(mgmt.organizations.create({ name }), (err) => err instanceof ManagementError && err.statusCode === 409);

  const app = await mgmt.clients.create({ name: 'Compat Acme backend', app_type: 'non_interactive', grant_types: ['client_credentials'] });
  const grant = await mgmt.clientGrants.create({ client_id: app.client_id, audience: identifier, scope: ['read:data'], organization_usage: 'require' });
  assert.equal(grant.organization_usage, 'require');
  assert.equal(grant.allow_any_organization, false);

  let r = await requestToken({ id: app.client_id, secret: app.client_secret }, identifier);
  assert.equal(r.status, 400, `no organization for a grant that requires one: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error, 'invalid_request');

  const auth = new AuthenticationClient({ domain, clientId: app.client_id, clientSecret: app.client_secret, fetch: loopbackFetch });
  await assert.rejects(auth.oauth.clientCredentialsGrant({ audience: identifier, organization: name }), (err) => {
    assert.equal(err.statusCode, 403, `before the association: ${err}`);
    assert.equal(err.error, 'access_denied');
    return true;
  });

  await mgmt.organizations.clientGrants.create(org.id, { grant_id: grant.id });
  const associated = await mgmt.organizations.clientGrants.list(org.id, { audience: identifier });
  assert.deepEqual(associated.data.map((g) => g.id), [grant.id]);
  const orgsOfGrant = await mgmt.clientGrants.organizations.list(grant.id);
  assert.deepEqual(orgsOfGrant.data.map((o) => o.id), [org.id]);

  for (const organization of [name, org.id]) {
    const { data } = await auth.oauth.clientCredentialsGrant({ audience: identifier, organization });
    const claims = claimsOf(data.access_token);
    assert.equal(claims.org_id, org.id, `org_id of a token requested with organization=${organization}`);
    assert.equal(claims.scope, 'read:data');
  }

  await mgmt.organizations.clientGrants.delete(org.id, grant.id);
  assert.equal((await mgmt.organizations.clientGrants.list(org.id)).data.length, 0);
  await assert.rejects(auth.oauth.clientCredentialsGrant({ audience: identifier, organization: org.id }), (err) => err.statusCode === 403);

  await mgmt.organizations.delete(org.id);
  await assert.rejects(mgmt.organizations.get(org.id), (err) => {
    assert.ok(err instanceof ManagementError, `not a ManagementError: ${err}`);
    assert.equal(err.statusCode, 404);
    assert.equal(err.body?.errorCode, 'inexistent_organization');
    return true;
  });
  await mgmt.clients.delete(app.client_id);
  await mgmt.resourceServers.delete(rs.id);
});
