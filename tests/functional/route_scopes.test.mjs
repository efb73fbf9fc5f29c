// Every API route that touches data names the token scope it needs, and the
// real server enforces it: each route is called with an operator token that
// holds every other scope, and must answer 403 before it reads a thing. Routes
// without a token (the partner check, terminals, a guest's own card) are listed
// here by name, so a new route cannot slip in without a scope.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, startServer, passwerk } from '../lib/server.mjs';
import { createToken } from '../lib/guest_fixture.mjs';
import { engines } from '../lib/engines.mjs';

// API routes that take no bearer token, and what authorises them instead.
const WITHOUT_TOKEN = new Map([
  ['GET /api/v1/version', 'public'],
  ['POST /api/v1/checks', 'partner key'],
  ['OPTIONS /api/v1/checks', 'CORS preflight'],
  ['POST /api/v1/card-status', "the guest's registration number"],
  ['DELETE /api/v1/marketing-consents/{consent_id}', 'the consent id the guest holds'],
  ['POST /api/terminal/v1/challenge', 'terminal key'],
  ['POST /api/terminal/v1/login', 'terminal key'],
  ['GET /api/terminal/v1/sync-data', 'terminal session'],
  ['POST /api/terminal/v1/transactions', 'terminal session'],
  ['POST /api/terminal/v1/acceptances', 'terminal session'],
  ['GET /api/portal/v1/me', 'citizen session cookie'],
  ['GET /api/portal/v1/departments', 'citizen session cookie'],
  ['GET /api/portal/v1/threads', 'citizen session cookie'],
  ['POST /api/portal/v1/threads', 'citizen session cookie and X-CSRF-Token'],
  ['GET /api/portal/v1/threads/{id}', 'citizen session cookie'],
  ['POST /api/portal/v1/threads/{id}/messages', 'citizen session cookie and X-CSRF-Token'],
  ['GET /api/portal/v1/threads/{id}/attachments/{attachment_id}', 'citizen session cookie'],
  ['POST /api/portal/v1/threads/{id}/read', 'citizen session cookie and X-CSRF-Token'],
  ['GET /api/portal/v1/email', 'citizen session cookie'],
  ['POST /api/portal/v1/email', 'citizen session cookie and X-CSRF-Token'],
  ['DELETE /api/portal/v1/email', 'citizen session cookie and X-CSRF-Token'],
  ['POST /api/portal/v1/email/notifications', 'citizen session cookie and X-CSRF-Token'],
  ['POST /api/portal/v1/email/confirm', 'the confirmation token from the mail'],
  ['GET /api/portal/v1/application-forms', 'citizen session cookie'],
  ['GET /api/portal/v1/application-forms/{scheme}', 'citizen session cookie'],
  ['GET /api/portal/v1/applications', 'citizen session cookie'],
  ['POST /api/portal/v1/applications', 'citizen session cookie and X-CSRF-Token'],
  ['GET /api/portal/v1/applications/{id}', 'citizen session cookie'],
  ['PUT /api/portal/v1/applications/{id}', 'citizen session cookie and X-CSRF-Token'],
  ['DELETE /api/portal/v1/applications/{id}', 'citizen session cookie and X-CSRF-Token'],
  ['POST /api/portal/v1/applications/{id}/documents', 'citizen session cookie and X-CSRF-Token'],
  ['GET /api/portal/v1/applications/{id}/documents/{document_id}', 'citizen session cookie'],
  ['DELETE /api/portal/v1/applications/{id}/documents/{document_id}', 'citizen session cookie and X-CSRF-Token'],
  ['POST /api/portal/v1/applications/{id}/submit', 'citizen session cookie and X-CSRF-Token'],
  ['POST /api/portal/v1/applications/{id}/withdraw', 'citizen session cookie and X-CSRF-Token'],
  ['POST /api/portal/v1/applications/{id}/confirmation/resend', 'citizen session cookie and X-CSRF-Token'],
  ['GET /api/portal/v1/applications/{id}/receipt.pdf', 'citizen session cookie'],
  ['GET /api/portal/v1/renewals', 'citizen session cookie'],
  ['GET /api/portal/v1/organisation-confirmation', "the organisation's one-time link (token in the query)"],
  ['POST /api/portal/v1/organisation-confirmation', "the organisation's one-time link (token in the body)"],
]);

// The scopes that include `scope` (docs/api.md): itself, its write half, and
// for schemes:read the card scopes.
function including(scope) {
  const out = [scope];
  if (scope.endsWith(':read')) out.push(scope.replace(/:read$/, ':write'));
  if (scope === 'schemes:read') out.push('cards:read', 'cards:write');
  if (scope === 'applications:read') out.push('applications:decide');
  return out;
}

// [{method, pattern, scope}] as `passwerk routes` prints them.
function routes() {
  const dataDir = mkdtempSync(join(tmpdir(), 'passwerk-routes-'));
  try {
    return passwerk(['routes', '--data', dataDir]).split('\n').filter(Boolean).map((line) => {
      const [method, pattern, scope = null] = line.trim().split(' ');
      return { method, pattern, scope };
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const api = routes().filter((r) => r.pattern.startsWith('/api/'));

test('every API route names its token scope, or why it needs none', () => {
  assert.ok(api.length > 40, 'the router lists the API');
  const unnamed = api.filter((r) => !r.scope && !WITHOUT_TOKEN.has(`${r.method} ${r.pattern}`));
  assert.deepEqual(unnamed.map((r) => `${r.method} ${r.pattern}`), [], 'API routes without a scope');
  const stale = [...WITHOUT_TOKEN.keys()].filter((k) => !api.some((r) => `${r.method} ${r.pattern}` === k && !r.scope));
  assert.deepEqual(stale, [], 'routes listed here as taking no token');
});

for (const engine of engines()) {
  test(`${engine.name}: a token lacking a route's scope gets 403 on every route`, async () => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl });
    try {
      const all = [...new Set(api.map((r) => r.scope).filter(Boolean))];
      const tokens = new Map();
      // Operators hold every scope but the mailbox's and the applications',
      // which only a department's staff use (an administrator here) — who
      // hold all but audit:read.
      const departmental = (scope) => scope.startsWith('threads:') || scope.startsWith('applications:');
      const holder = (scope) => (departmental(scope) ? 'admin' : 'operator');
      const holds = (role, scope) => (role === 'admin' ? scope !== 'audit:read' : !departmental(scope));
      for (const scope of all) {
        const role = holder(scope);
        const others = all.filter((s) => !including(scope).includes(s) && holds(role, s));
        tokens.set(scope, createToken(server, role, others.join(','), `without-${scope}`));
      }
      let walked = 0;
      for (const route of api.filter((r) => r.scope)) {
        const path = route.pattern.replace(/\{[^}]+\}/g, '1');
        const init = { method: route.method, headers: { Authorization: `Bearer ${tokens.get(route.scope)}` } };
        if (route.method !== 'GET') {
          init.headers['Content-Type'] = 'application/json';
          init.body = '{}';
        }
        const r = await fetch(`${server.url}${path}`, init);
        const body = await r.text();
        assert.equal(r.status, 403, `${route.method} ${route.pattern} without ${route.scope}: ${body}`);
        assert.equal(JSON.parse(body).error.code, 'permission_denied');
        assert.match(JSON.parse(body).error.message, new RegExp(`scope ${route.scope}`));
        walked += 1;
      }
      assert.ok(walked > 40, `walked ${walked} routes`);

      // A token cannot hold a scope its user's role may not use: the landlord's
      // session sees no terminal data, the clerk's no user list.
      for (const [username, scope] of [['landlord', 'terminals:read'], ['clerk', 'users:read'], ['admin', 'audit:read']]) {
        const refused = spawnSync(BIN, ['token', 'create', '--data', server.dataDir, '--username', username,
          '--name', 'too-much', '--scopes', scope], { env: server.env, encoding: 'utf8' });
        assert.notEqual(refused.status, 0, `${username} with ${scope}`);
        assert.match(refused.stderr + refused.stdout, new RegExp(`cannot use the scope ${scope}`));
        assert.doesNotMatch(refused.stdout, /pwk_/);
      }
    } finally {
      await server.stop();
      db.cleanup();
    }
  });
}
