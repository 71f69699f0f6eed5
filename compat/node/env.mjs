// Shared settings of the compat suites. compat/compat_test.go (TestNode)
// starts credo with a seeded tenant and passes everything through the
// environment; run the suites with `go test ./compat/ -run TestNode -v`.

function required(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: these tests are driven by compat/compat_test.go; run \`go test ./compat/ -run TestNode -v\` from the repository root`);
  }
  return v;
}

export const issuer = required('CREDO_ISSUER'); // with its trailing slash
export const client = { id: required('CREDO_CLIENT_ID'), secret: required('CREDO_CLIENT_SECRET') };
export const special = { id: required('CREDO_SPECIAL_CLIENT_ID'), secret: required('CREDO_SPECIAL_CLIENT_SECRET') };
export const limited = { id: required('CREDO_LIMITED_CLIENT_ID'), secret: required('CREDO_LIMITED_CLIENT_SECRET') };
export const admin = { id: required('CREDO_ADMIN_CLIENT_ID'), secret: required('CREDO_ADMIN_CLIENT_SECRET') };
export const audience = required('CREDO_AUDIENCE'); // RS256, Auth0 token profile
export const hs256Secret = required('CREDO_HS256_SECRET');
/** @type {{identifier: string, alg: string, dialect: string, lifetime: number, scopes: string[]}[]} */
export const apis = JSON.parse(required('CREDO_APIS'));

export function api(alg, dialect) {
  const a = apis.find((x) => x.alg === alg && x.dialect === dialect);
  if (!a) throw new Error(`no seeded API ${alg}/${dialect}`);
  return a;
}

/** fetch for the SDKs: https://<credo host>/… → http://<credo host>/…, nothing else. */
export function loopbackFetch(input, init) {
  const { host } = new URL(issuer);
  const from = `https://${host}/`;
  const to = `http://${host}/`;
  if (input instanceof Request) {
    if (!input.url.startsWith(from)) throw new Error(`unexpected request to ${input.url}`);
    return fetch(new Request(to + input.url.slice(from.length), input), init);
  }
  const url = String(input);
  if (!url.startsWith(from)) throw new Error(`unexpected request to ${url}`);
  return fetch(to + url.slice(from.length), init);
}

/**
 * POSTs a client-credentials request with plain fetch (client_secret_post)
 * and returns {status, body}.
 */
export async function requestToken(creds, aud) {
  const res = await fetch(new URL('oauth/token', issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.id, client_secret: creds.secret, audience: aud }),
  });
  return { status: res.status, body: await res.json() };
}

/** Returns an access token or throws with credo's answer. */
export async function token(creds, aud) {
  const { status, body } = await requestToken(creds, aud);
  if (status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(`token for ${creds.id} / ${aud}: ${status} ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

/** Changes the payload of a JWS while keeping its signature. */
export function tamper(jwt) {
  const [h, p, s] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  claims.scope = `${claims.scope ?? ''} admin:all`.trim();
  return [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
}
