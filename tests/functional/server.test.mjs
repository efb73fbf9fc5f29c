// The real binary over real sockets: it starts with no configuration, sends
// the security headers, survives malformed and oversized input, names bad
// configuration, reports a locked or vanished database as 503, stops cleanly
// on SIGTERM, and `audit verify` catches tampering done behind its back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startServer, passwerk } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';

function rawRequest(url, payload, { end = true } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(payload);
      if (end) socket.end();
    });
    let data = '';
    socket.on('data', (d) => { data += d; });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(10000, () => { socket.destroy(); resolve(data); });
  });
}

test('serves health, security headers and request ids', async () => {
  const server = await startServer();
  try {
    const r = await fetch(`${server.url}/healthz`, { headers: { 'X-Request-Id': 'trace-abc_123' } });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok' });
    assert.equal(r.headers.get('x-request-id'), 'trace-abc_123');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(r.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    assert.doesNotMatch(r.headers.get('content-security-policy'), /unsafe-inline/);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    const bad = await fetch(`${server.url}/healthz`, { headers: { 'X-Request-Id': '<script>' } });
    assert.match(bad.headers.get('x-request-id'), /^[A-Za-z0-9_-]{1,64}$/);
    const page = await fetch(`${server.url}/login`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
    assert.match(page.headers.get('content-security-policy'), /script-src 'self'/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /passwerk_http_requests_total\{route="healthz",status="200"\} \d+/);
    assert.match(metrics, /passwerk_http_request_duration_seconds_bucket\{route="healthz",status="200",le="0.001"\}/);
  } finally {
    await server.stop();
  }
});

test('malformed, oversized and abandoned requests get 4xx and the server keeps serving', async () => {
  const server = await startServer({ env: { PASSWERK_BODY_LIMIT_BYTES: '4096', PASSWERK_HEADER_LIMIT_BYTES: '2048' } });
  try {
    const garbage = await rawRequest(server.url, '\x00\x01\x02 NOT HTTP AT ALL\r\n\r\n');
    assert.match(garbage, /^HTTP\/1\.1 400/);
    const big = await fetch(`${server.url}/api/v1/users`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(10000),
    });
    assert.equal(big.status, 413);
    assert.equal((await big.json()).error.code, 'resource_exhausted');
    const hugeHeader = await rawRequest(server.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`);
    assert.match(hugeHeader, /^HTTP\/1\.1 431/);
    // Announce a body and vanish halfway.
    const { hostname, port } = new URL(server.url);
    await new Promise((resolve) => {
      const s = connect(Number(port), hostname, () => {
        s.write('POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"user');
        setTimeout(() => { s.destroy(); resolve(); }, 100);
      });
    });
    const wrongMethod = await fetch(`${server.url}/healthz`, { method: 'DELETE' });
    assert.equal(wrongMethod.status, 405);
    const after = await fetch(`${server.url}/healthz`);
    assert.equal(after.status, 200, 'still serving');
  } finally {
    const result = await server.stop();
    assert.equal(result.code, 0, `clean exit after SIGTERM: ${server.stderr()}`);
  }
});

test('configuration: defaults, unknown keys named, check command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passwerk-cfg-'));
  try {
    writeFileSync(join(dir, 'bad.toml'), 'listen = "127.0.0.1:9"\nthreds = 2\n');
    const bad = spawnSync(BIN, ['config', 'check', '--config', join(dir, 'bad.toml')], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /unknown configuration key 'threds'/);
    const badEnv = spawnSync(BIN, ['config', 'check'], { encoding: 'utf8', env: { ...process.env, PASSWERK_LISTNE: 'x' } });
    assert.notEqual(badEnv.status, 0);
    assert.match(badEnv.stderr, /PASSWERK_LISTNE/);
    writeFileSync(join(dir, 'good.toml'), 'listen = "127.0.0.1:9999"\n');
    const good = spawnSync(BIN, ['config', 'check', '--config', join(dir, 'good.toml'), '--data', dir], { encoding: 'utf8' });
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /configuration ok .*listen 127\.0\.0\.1:9999/);
    const version = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
    assert.match(version.stdout, /^passwerk \d+\.\d+\.\d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('audit verify names the first altered entry (SQLite file edited behind its back)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passwerk-audit-'));
  try {
    passwerk(['demo', '--data', dir]);
    assert.match(passwerk(["audit", "verify", "--data", dir]), /audit trail intact: \d+ entries/);
    execFileSync('sqlite3', [join(dir, 'audit.db'), "UPDATE entries SET detail = '{\"forged\":1}' WHERE seq = 4"]);
    const broken = spawnSync(BIN, ['audit', 'verify', '--data', dir], { encoding: 'utf8' });
    assert.equal(broken.status, 1);
    assert.match(broken.stdout, /BROKEN at entry 4: altered/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a locked SQLite database answers 503 and loses nothing', async () => {
  const server = await startServer();
  const token = passwerk(['token', 'create', '--data', server.dataDir, '--username', 'operator', '--name', 't',
    '--scopes', 'users:write,users:read'], { env: server.env }).match(/(pwk_\S+)/)[1];
  const locker = spawn('sqlite3', [join(server.dataDir, 'core.db')], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    locker.stdin.write('BEGIN EXCLUSIVE;\nINSERT INTO municipalities (municipality_number, name, created_at) VALUES (\'99999999\', \'Lock\', 1);\n');
    await new Promise((r) => setTimeout(r, 300));
    const response = await fetch(`${server.url}/api/v1/users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'locked', display_name: 'L', role: 'operator', password: 'long enough password' }),
    });
    assert.equal(response.status, 503);
    const body = await response.json();
    assert.equal(body.error.code, 'unavailable');
    assert.doesNotMatch(body.error.message, /INSERT|SELECT|\.db|\//);
  } finally {
    locker.stdin.end('ROLLBACK;\n');
    await new Promise((r) => locker.on('exit', r));
  }
  try {
    const users = await (await fetch(`${server.url}/api/v1/users`, { headers: { Authorization: `Bearer ${token}` } })).json();
    assert.ok(!users.users.some((u) => u.username === 'locked'), 'nothing half-written');
    assert.match(passwerk(['audit', 'verify', '--data', server.dataDir]), /intact/);
  } finally {
    await server.stop();
  }
});

for (const engine of engines().filter((e) => e.name === 'postgresql')) {
  test('postgresql: a vanished database answers 503 and the server keeps running', async () => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl });
    try {
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      db.cleanup();  // DROP DATABASE … WITH (FORCE) under the running server
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 503);
      const body = await ready.json();
      assert.equal(body.error.code, 'unavailable');
      assert.doesNotMatch(JSON.stringify(body), /postgresql:|password|SELECT/);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'still serving');
    } finally {
      await server.stop();
    }
  });
}
