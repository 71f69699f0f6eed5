// openid-client v6 (panva): discovery + clientCredentialsGrant against credo,
// with client_secret_post and client_secret_basic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { issuer, client, special, limited, audience, api } from './env.mjs';

const methods = [
  ['client_secret_post', oidc.ClientSecretPost],
  ['client_secret_basic', oidc.ClientSecretBasic],
];

async function configure(creds, auth) {
  return oidc.discovery(new URL(issuer), creds.id, undefined, auth(creds.secret), {
    execute: [oidc.allowInsecureRequests], // plain http on loopback
  });
}

test('discovery metadata', async () => {
  const config = await configure(client, oidc.ClientSecretPost);
  const md = config.serverMetadata();
  assert.equal(md.issuer, issuer);
  assert.equal(md.token_endpoint, `${issuer}oauth/token`);
  assert.equal(md.jwks_uri, `${issuer}.well-known/jwks.json`);
  assert.ok(md.grant_types_supported.includes('client_credentials'));
  for (const m of ['client_secret_basic', 'client_secret_post']) {
    assert.ok(md.token_endpoint_auth_methods_supported.includes(m), `token_endpoint_auth_methods_supported lacks ${m}`);
  }
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256']) {
    assert.ok(md.id_token_signing_alg_values_supported.includes(alg), `id_token_signing_alg_values_supported lacks ${alg}`);
  }
});

for (const [name, auth] of methods) {
  for (const [who, creds, scope] of [['client', client, 'read:x write:x'], ['special-secret client', special, 'read:x']]) {
    test(`clientCredentialsGrant with ${name} (${who})`, async () => {
      const config = await configure(creds, auth);
      const tokens = await oidc.clientCredentialsGrant(config, { audience });
      assert.equal(tokens.token_type, 'bearer'); // oauth4webapi lower-cases it; jose.test.mjs checks the wire value
      assert.equal(typeof tokens.access_token, 'string');
      assert.equal(tokens.expires_in, 86400);
      assert.ok(tokens.expiresIn() > 86400 - 60 && tokens.expiresIn() <= 86400);
      assert.equal(tokens.scope, scope);
      const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url'));
      assert.equal(claims.sub, `${creds.id}@clients`);
      assert.equal(claims.aud, audience);
    });
  }
}

test('the grant decides the scope: a requested subset still gets every granted scope (Auth0 default)', async () => {
  const config = await configure(client, oidc.ClientSecretPost);
  const tokens = await oidc.clientCredentialsGrant(config, { audience, scope: 'read:x' });
  assert.equal(tokens.scope, 'read:x write:x');
  const lim = await oidc.clientCredentialsGrant(await configure(limited, oidc.ClientSecretPost), { audience });
  assert.equal(lim.scope, 'write:x');
});

test('every algorithm and dialect through openid-client', async () => {
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256']) {
    for (const dialect of ['access_token', 'rfc9068_profile']) {
      const a = api(alg, dialect);
      const config = await configure(client, oidc.ClientSecretBasic);
      const tokens = await oidc.clientCredentialsGrant(config, { audience: a.identifier });
      assert.equal(tokens.expires_in, a.lifetime, `${alg}/${dialect} expires_in`);
      const header = JSON.parse(Buffer.from(tokens.access_token.split('.')[0], 'base64url'));
      assert.equal(header.alg, alg);
    }
  }
});

test('errors are OAuth errors openid-client understands', async (t) => {
  await t.test('wrong secret with client_secret_post: 401 invalid_client', async () => {
    const config = await configure({ id: client.id, secret: `${client.secret}x` }, oidc.ClientSecretPost);
    await assert.rejects(oidc.clientCredentialsGrant(config, { audience }), (err) => {
      assert.equal(err.code, 'OAUTH_RESPONSE_BODY_ERROR');
      assert.equal(err.error, 'invalid_client');
      assert.equal(err.status, 401);
      return true;
    });
  });
  await t.test('wrong secret with client_secret_basic: 401 with a Basic challenge (RFC 6749 §5.2)', async () => {
    const config = await configure({ id: client.id, secret: `${client.secret}x` }, oidc.ClientSecretBasic);
    await assert.rejects(oidc.clientCredentialsGrant(config, { audience }), (err) => {
      assert.equal(err.code, 'OAUTH_WWW_AUTHENTICATE_CHALLENGE');
      assert.equal(err.status, 401);
      assert.equal(err.cause[0].scheme, 'basic');
      return true;
    });
  });
  await t.test('unknown audience: 403 access_denied', async () => {
    const config = await configure(client, oidc.ClientSecretPost);
    await assert.rejects(oidc.clientCredentialsGrant(config, { audience: 'https://unknown.compat.test/' }), (err) => {
      assert.equal(err.error, 'access_denied');
      assert.equal(err.status, 403);
      assert.match(err.error_description, /^Service not found: https:\/\/unknown\.compat\.test\/$/);
      return true;
    });
  });
});
