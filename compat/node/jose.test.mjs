// jose (panva): createRemoteJWKSet + jwtVerify for every algorithm and both
// token dialects, as any Node API verifies Auth0 tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { issuer, client, apis, hs256Secret, token, requestToken, tamper } from './env.mjs';

const jwks = jose.createRemoteJWKSet(new URL(`${issuer}.well-known/jwks.json`));

function keyFor(alg) {
  return alg === 'HS256' ? new TextEncoder().encode(hs256Secret) : jwks;
}

test('JWKS shape', async () => {
  const res = await fetch(`${issuer}.well-known/jwks.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('cache-control') ?? '', /public, max-age=\d+/);
  const { keys } = await res.json();
  assert.ok(keys.length > 0);
  for (const k of keys) {
    assert.ok(k.kid && k.alg && k.kty, `key without kid/alg/kty: ${JSON.stringify(k)}`);
    assert.equal(k.use, 'sig');
    assert.equal(k.d, undefined, 'a private key is published');
    await jose.importJWK(k, k.alg); // every published key is usable
  }
  const algs = new Set(keys.map((k) => k.alg));
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) assert.ok(algs.has(alg), `no ${alg} key in the JWKS`);
  assert.ok(!keys.some((k) => k.kty === 'oct'), 'a symmetric key is published');
  const rsa = keys.find((k) => k.alg === 'RS256');
  for (const f of ['n', 'e', 'x5c', 'x5t']) assert.ok(rsa[f], `RS256 key lacks ${f} (Auth0 publishes it)`);
});

test('token response on the wire', async () => {
  const res = await fetch(`${issuer}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret, audience: apis[0].identifier }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('pragma'), 'no-cache');
  const body = await res.json();
  assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, apis[0].lifetime);
  const form = await requestToken(client, apis[0].identifier);
  assert.equal(form.status, 200);
  assert.equal(form.body.token_type, 'Bearer');
});

for (const a of apis) {
  test(`${a.alg} ${a.dialect}: jwtVerify with the remote JWKS`, async () => {
    const jwt = await token(client, a.identifier);
    const { payload, protectedHeader } = await jose.jwtVerify(jwt, keyFor(a.alg), {
      issuer,
      audience: a.identifier,
      algorithms: [a.alg],
      requiredClaims: ['iat', 'exp', 'sub'],
      ...(a.dialect === 'rfc9068_profile' ? { typ: 'at+jwt' } : {}),
    });
    assert.equal(protectedHeader.alg, a.alg);
    if (a.alg !== 'HS256') assert.ok(protectedHeader.kid, 'no kid in the header');
    assert.ok(payload.iss.endsWith('/'), 'iss must keep its trailing slash');
    assert.equal(payload.sub, `${client.id}@clients`);
    assert.equal(payload.aud, a.identifier, 'aud is the API identifier, as a string');
    assert.equal(payload.exp - payload.iat, a.lifetime);
    assert.equal(payload.scope, 'read:x write:x');
    if (a.dialect === 'rfc9068_profile') {
      assert.equal(protectedHeader.typ, 'at+jwt');
      assert.equal(payload.client_id, client.id);
      assert.equal(typeof payload.jti, 'string');
      assert.ok(payload.jti.length >= 16);
      assert.equal(payload.gty, undefined, 'no gty in the RFC 9068 profile');
      assert.equal(payload.azp, undefined, 'no azp in the RFC 9068 profile');
    } else {
      assert.equal(protectedHeader.typ, 'JWT');
      assert.equal(payload.gty, 'client-credentials');
      assert.equal(payload.azp, client.id);
      assert.equal(payload.jti, undefined);
    }
  });

  test(`${a.alg} ${a.dialect}: a tampered token, another audience or another algorithm is rejected`, async () => {
    const jwt = await token(client, a.identifier);
    await assert.rejects(jose.jwtVerify(tamper(jwt), keyFor(a.alg), { issuer, audience: a.identifier, algorithms: [a.alg] }),
      jose.errors.JWSSignatureVerificationFailed);
    await assert.rejects(jose.jwtVerify(jwt, keyFor(a.alg), { issuer, audience: 'https://other.compat.test/', algorithms: [a.alg] }),
      jose.errors.JWTClaimValidationFailed);
    await assert.rejects(jose.jwtVerify(jwt, keyFor(a.alg), { issuer: issuer.slice(0, -1), audience: a.identifier, algorithms: [a.alg] }),
      jose.errors.JWTClaimValidationFailed, 'iss without the trailing slash must not match');
    const other = a.alg === 'RS256' ? 'ES256' : 'RS256';
    await assert.rejects(jose.jwtVerify(jwt, keyFor(a.alg), { issuer, audience: a.identifier, algorithms: [other] }));
  });
}
