// express-oauth2-jwt-bearer (Auth0's Express middleware) protecting an API
// with tokens from credo: discovery, JWKS, requiredScopes, strict RFC 9068.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { issuer, client, limited, api, hs256Secret, token, tamper } from './env.mjs';

const servers = [];
after(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

/** Starts an Express API on 127.0.0.1:0 protected by the given auth middleware. */
async function startAPI(checkJWT) {
  const app = express();
  app.get('/read', checkJWT, requiredScopes('read:x'), (req, res) => res.json({ sub: req.auth.payload.sub, scope: req.auth.payload.scope }));
  app.get('/any', checkJWT, (req, res) => res.json({ sub: req.auth.payload.sub }));
  // The error handler an Auth0 quickstart API has: the library's status and
  // WWW-Authenticate header, with a JSON body.
  app.use((err, req, res, next) => { // eslint-disable-line no-unused-vars
    if (err.headers) res.set(err.headers);
    res.status(err.status ?? 500).json({ error: err.code ?? 'server_error', message: err.message });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  server.closeIdleConnections?.();
  return `http://127.0.0.1:${server.address().port}`;
}

async function get(base, path, jwt) {
  const res = await fetch(base + path, { headers: jwt ? { authorization: `Bearer ${jwt}` } : {} });
  return { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate') ?? '', body: await res.json() };
}

for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
  test(`${alg}: auth({issuerBaseURL, audience}) with requiredScopes('read:x')`, async () => {
    const a = api(alg, 'access_token');
    const base = await startAPI(auth({ issuerBaseURL: issuer, audience: a.identifier }));
    const good = await token(client, a.identifier);

    let r = await get(base, '/read', good);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.sub, `${client.id}@clients`);

    r = await get(base, '/read', tamper(good));
    assert.equal(r.status, 401, 'tampered token');
    assert.match(r.wwwAuthenticate, /error="invalid_token"/);

    r = await get(base, '/read');
    assert.equal(r.status, 401, 'no token');

    const otherAudience = await token(client, api(alg, 'rfc9068_profile').identifier);
    r = await get(base, '/any', otherAudience);
    assert.equal(r.status, 401, 'token for another API');
    assert.match(r.wwwAuthenticate, /error="invalid_token"/);
  });
}

test('missing scope: 403 insufficient_scope', async () => {
  const a = api('RS256', 'access_token');
  const base = await startAPI(auth({ issuerBaseURL: issuer, audience: a.identifier }));
  const writeOnly = await token(limited, a.identifier);
  let r = await get(base, '/any', writeOnly);
  assert.equal(r.status, 200, 'a valid token without read:x still passes auth()');
  r = await get(base, '/read', writeOnly);
  assert.equal(r.status, 403, JSON.stringify(r.body));
  assert.equal(r.body.error, 'insufficient_scope');
  assert.match(r.wwwAuthenticate, /error="insufficient_scope"/);
  assert.match(r.wwwAuthenticate, /scope="read:x"/);
});

test('strict: true (RFC 9068) accepts the rfc9068_profile token', async () => {
  for (const alg of ['RS256', 'ES256']) {
    const a = api(alg, 'rfc9068_profile');
    const base = await startAPI(auth({ issuerBaseURL: issuer, audience: a.identifier, strict: true }));
    const r = await get(base, '/read', await token(client, a.identifier));
    assert.equal(r.status, 200, `${alg}: ${JSON.stringify(r.body)}`);
    const w = await get(base, '/read', await token(limited, api('RS256', 'rfc9068_profile').identifier));
    if (alg === 'RS256') assert.equal(w.status, 403, 'strict mode still checks scopes');
  }
});

test('strict: true rejects the Auth0-profile token (typ JWT, no client_id/jti)', async () => {
  const a = api('RS256', 'access_token');
  const base = await startAPI(auth({ issuerBaseURL: issuer, audience: a.identifier, strict: true }));
  const r = await get(base, '/read', await token(client, a.identifier));
  assert.equal(r.status, 401, JSON.stringify(r.body));
  assert.match(r.wwwAuthenticate, /error="invalid_token"/);
});

test('HS256: auth({issuer, audience, secret, tokenSigningAlg})', async () => {
  for (const dialect of ['access_token', 'rfc9068_profile']) {
    const a = api('HS256', dialect);
    const base = await startAPI(auth({ issuer, audience: a.identifier, secret: hs256Secret, tokenSigningAlg: 'HS256', strict: dialect === 'rfc9068_profile' }));
    const good = await token(client, a.identifier);
    assert.equal((await get(base, '/read', good)).status, 200, dialect);
    assert.equal((await get(base, '/read', tamper(good))).status, 401, `${dialect} tampered`);
  }
});
