// Auth0's Node SDK (npm auth0, ManagementClient) managing credo's log
// streams and reading its logs: logStreams.create/list/get/update/delete in
// Auth0's shapes, logs.list with a search and logs.get by _id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementClient } from 'auth0';
import { issuer, admin } from './env.mjs';

const { host: domain } = new URL(issuer);

/** fetch for the SDK: https://<credo host>/… → http://<credo host>/…, nothing else. */
function loopbackFetch(input, init) {
  const from = `https://${domain}/`;
  const to = `http://${domain}/`;
  if (input instanceof Request) {
    if (!input.url.startsWith(from)) throw new Error(`unexpected request to ${input.url}`);
    return fetch(new Request(to + input.url.slice(from.length), input), init);
  }
  const url = String(input);
  if (!url.startsWith(from)) throw new Error(`unexpected request to ${url}`);
  return fetch(to + url.slice(from.length), init);
}

const mgmt = new ManagementClient({
  domain,
  clientId: admin.id,
  clientSecret: admin.secret,
  audience: `${issuer}api/v2/`,
  fetch: loopbackFetch,
});

test('ManagementClient: logStreams CRUD and logs search', async () => {
  const created = await mgmt.logStreams.create({
    name: 'Compat webhook',
    type: 'http',
    sink: {
      httpEndpoint: 'https://logs.compat.test/credo',
      httpAuthorization: 'Bearer compat-stream-secret',
      httpContentFormat: 'JSONARRAY',
      httpContentType: 'application/json',
      httpCustomHeaders: [{ header: 'X-Suite', value: 'compat' }],
    },
    filters: [{ type: 'category', name: 'auth.token_exchange.fail' }],
  });
  assert.match(created.id, /^lst_/);
  assert.equal(created.status, 'active');
  assert.equal(created.type, 'http');
  assert.equal(created.sink.httpEndpoint, 'https://logs.compat.test/credo');
  assert.equal(created.sink.httpAuthorization, undefined, 'the authorization is write-only');
  assert.deepEqual(created.filters, [{ type: 'category', name: 'auth.token_exchange.fail' }]);

  const list = await mgmt.logStreams.list();
  assert.ok(list.some((s) => s.id === created.id), 'list has the stream');

  const paused = await mgmt.logStreams.update(created.id, { status: 'paused', name: 'Compat webhook (paused)' });
  assert.equal(paused.status, 'paused');
  const got = await mgmt.logStreams.get(created.id);
  assert.equal(got.name, 'Compat webhook (paused)');
  assert.equal(got.status, 'paused');

  await mgmt.logStreams.delete(created.id);
  await assert.rejects(mgmt.logStreams.get(created.id), (err) => err.statusCode === 404);

  // The writes above are audited (sapi), durably, at once.
  const page = await mgmt.logs.list({ search: 'type:sapi AND description:"Create a log stream"', per_page: 10 });
  assert.ok(page.data.length >= 1, 'the audit entry of the create');
  const entry = page.data[0];
  assert.equal(entry.type, 'sapi');
  assert.equal(entry._id, entry.log_id);
  assert.ok(!JSON.stringify(entry).includes('compat-stream-secret'), 'no secret in the audit entry');
  const one = await mgmt.logs.get(entry._id);
  assert.equal(one.log_id, entry.log_id);
  assert.equal(one.description, 'Create a log stream');
});
