#!/usr/bin/env node
// ExampleCo's batch worker in Node (18+), with plain fetch and no npm
// packages: get an access token with the Client Credentials grant, then post
// timesheet entries to the Timesheets API with Authorization: Bearer.
//
//   TIMESHEETS_WORKER_SECRET=... node examples/timesheets/worker-node/worker.js [entries.json]
//
// Settings come from the environment (the same names as worker-go):
//   TIMESHEETS_ISSUER         authorization server, default http://127.0.0.1:8080/
//                             (for Auth0: https://TENANT.auth0.com/)
//   TIMESHEETS_AUDIENCE       default https://api.exampleco.com/timesheets
//   TIMESHEETS_API            Timesheets API base URL, default http://127.0.0.1:8081
//   TIMESHEETS_CLIENT_ID      default timesheets-worker
//   TIMESHEETS_CLIENT_SECRET  or TIMESHEETS_WORKER_SECRET: the client secret
//
// Exit status: 0 when every entry was created, 1 otherwise, 2 on bad usage.
'use strict';

const fs = require('node:fs');

const sampleEntries = [
  { user_id: '007', date: '2025-03-05', project: 'StoreZero', hours: 7.5, notes: 'Release prep' },
  { user_id: '042', date: '2025-03-05', project: 'Payroll', hours: 3 },
];

const env = (name, def) => (process.env[name] !== undefined ? process.env[name] : def);

// getToken asks the token endpoint for an access token, with a JSON body as
// Auth0's "Call your API using the Client Credentials Flow" shows.
async function getToken({ issuer, clientId, clientSecret, audience }) {
  const tokenURL = issuer.replace(/\/+$/, '') + '/oauth/token';
  const res = await fetch(tokenURL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      audience,
    }),
    signal: AbortSignal.timeout(30000),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = {};
  }
  if (!res.ok || !body.access_token) {
    const detail = body.error ? `${body.error}: ${body.error_description || ''}` : text.slice(0, 200);
    throw new Error(`token endpoint answered HTTP ${res.status}: ${detail}`);
  }
  return body;
}

async function postEntry(apiURL, accessToken, entry) {
  const res = await fetch(apiURL.replace(/\/+$/, '') + '/timesheets', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify(entry),
    signal: AbortSignal.timeout(30000),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = {};
  }
  if (res.status !== 201) {
    const detail = body.error ? `${body.error}: ${body.error_description || ''}` : text.slice(0, 200);
    throw new Error(`HTTP ${res.status} ${detail}`);
  }
  return body;
}

async function main() {
  const clientSecret = env('TIMESHEETS_CLIENT_SECRET', process.env.TIMESHEETS_WORKER_SECRET);
  if (!clientSecret) {
    console.error('worker-node: set TIMESHEETS_CLIENT_SECRET (or TIMESHEETS_WORKER_SECRET) to the client secret');
    return 2;
  }
  let entries = sampleEntries;
  if (process.argv.length > 3) {
    console.error('usage: node worker.js [entries.json]');
    return 2;
  }
  if (process.argv[2]) {
    try {
      entries = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
    } catch (err) {
      console.error(`worker-node: ${process.argv[2]}: ${err.message}`);
      return 2;
    }
    if (!Array.isArray(entries) || entries.length === 0) {
      console.error(`worker-node: ${process.argv[2]}: want a non-empty JSON array of entries`);
      return 2;
    }
  }
  const apiURL = env('TIMESHEETS_API', 'http://127.0.0.1:8081');

  let token;
  try {
    token = await getToken({
      issuer: env('TIMESHEETS_ISSUER', 'http://127.0.0.1:8080/'),
      clientId: env('TIMESHEETS_CLIENT_ID', 'timesheets-worker'),
      clientSecret,
      audience: env('TIMESHEETS_AUDIENCE', 'https://api.exampleco.com/timesheets'),
    });
  } catch (err) {
    console.error(`worker-node: getting an access token: ${err.message}`);
    return 1;
  }
  // A batch run is far shorter than the token's lifetime (expires_in, 24 h by
  // default), so one token serves every entry; a long-running process would
  // request a new one shortly before expires_in runs out.

  let failed = 0;
  for (const [i, e] of entries.entries()) {
    const label = `entry ${i + 1} (${e.user_id} ${e.date} ${e.project}`;
    try {
      const created = await postEntry(apiURL, token.access_token, e);
      console.log(`${label} ${e.hours}h): created id ${created.id}`);
    } catch (err) {
      failed++;
      console.log(`${label}): FAILED: ${err.message}`);
    }
  }
  console.log(`${entries.length - failed} of ${entries.length} entries created`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error('worker-node:', err);
    process.exitCode = 1;
  },
);
