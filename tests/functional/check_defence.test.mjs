// The enumeration defence of the partner check against the real binary:
// rate limit with Retry-After, card lockout after repeated no_match answers
// (even the right name is then refused, and staff get an alert), and the
// daily no_match budget that suspends a key. Check records survive shutdown,
// and a crash: what reached the spool is imported at the next start, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';

async function check(server, key, body, extraHeaders = {}) {
  const r = await fetch(`${server.url}/api/v1/checks`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...extraHeaders },
    body: JSON.stringify(body),
  });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

// Rows in checks.checks, on either engine.
function countChecks(dataDir, pgUrl) {
  const out = pgUrl
    ? execFileSync('psql', [pgUrl, '-tAc', 'SELECT COUNT(*) FROM checks.checks'])
    : execFileSync('sqlite3', [join(dataDir, 'checks.db'), 'SELECT COUNT(*) FROM checks']);
  return Number(out.toString().trim());
}

function demoCard(demo, reason) {
  return demo.partner_check.cards.find((c) => (c.expect.reason || 'valid') === reason);
}

for (const engine of engines()) {
  test(`${engine.name}: a key over its rate gets 429 with Retry-After`, async () => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl, env: { PASSWERK_CHECK_BURST: '3', PASSWERK_CHECK_RATE_PER_SECOND: '1' } });
    try {
      const key = server.demo.partner_check.server_key;
      const card = demoCard(server.demo, 'valid');
      const statuses = [];
      let limited;
      for (let i = 0; i < 6; i++) {
        const r = await check(server, key, { card_number: card.card_number, name: card.name });
        statuses.push(r.status);
        if (r.status === 429) limited = r;
      }
      assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
      assert.ok(limited, `expected a 429 among ${statuses}`);
      assert.equal(limited.body.error.code, 'resource_exhausted');
      assert.match(limited.headers.get('retry-after'), /^[1-9]\d*$/);
    } finally {
      await server.stop();
      db.cleanup();
    }
  });

  test(`${engine.name}: five no_match answers lock the card, the right name is then refused, staff are alerted`, async () => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl });
    try {
      const key = server.demo.partner_check.server_key;
      const card = demoCard(server.demo, 'valid');
      assert.equal((await check(server, key, { card_number: card.card_number, name: card.name })).body.valid, true);
      for (let i = 0; i < 5; i++) {
        const r = await check(server, key, { card_number: card.card_number, name: `Xy${i}` });
        assert.deepEqual(r.body, { valid: false, reason: 'no_match' });
      }
      const locked = await check(server, key, { card_number: card.card_number, name: card.name });
      assert.deepEqual(locked.body, { valid: false, reason: 'no_match' }, 'locked: indistinguishable from no_match');
      // Another card is unaffected.
      const other = demoCard(server.demo, 'expired');
      assert.equal((await check(server, key, { card_number: other.card_number, name: other.name })).body.reason, 'expired');
      const stopped = await server.stop({ keepData: true });
      assert.equal(stopped.code, 0);
      if (!db.pgUrl) {
        const alerts = execFileSync('sqlite3', [join(server.dataDir, 'checks.db'), 'SELECT kind, subject FROM alerts']).toString();
        assert.match(alerts, /card_locked\|card:\d+/);
        // Every check was recorded, by pseudonym only: no card number in the checks segment.
        const count = execFileSync('sqlite3', [join(server.dataDir, 'checks.db'), 'SELECT COUNT(*) FROM checks']).toString().trim();
        assert.equal(count, '8');
        const dump = execFileSync('sqlite3', [join(server.dataDir, 'checks.db'), '.dump']).toString();
        assert.ok(!dump.includes(card.card_number), 'the checks segment holds no card number');
      }
      // The lock survives a restart.
      const again = await startServer({ pgUrl: db.pgUrl, demo: false, dataDir: server.dataDir });
      try {
        const r = await check(again, key, { card_number: card.card_number, name: card.name });
        assert.deepEqual(r.body, { valid: false, reason: 'no_match' });
      } finally {
        await again.stop();
      }
    } finally {
      db.cleanup();
    }
  });

  test(`${engine.name}: a key that exhausts its daily no_match budget is suspended`, async () => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl, env: { PASSWERK_CHECK_KEY_DAILY_NO_MATCH_BUDGET: '4' } });
    try {
      const key = server.demo.partner_check.server_key;
      const valid = demoCard(server.demo, 'valid');
      for (let i = 0; i < 5; i++) {
        const r = await check(server, key, { card_number: `10100009${String(i).padStart(3, '0')}0`, name: 'abc' });
        assert.equal(r.status, 200);
        assert.equal(r.body.reason, 'no_match');
      }
      const suspended = await check(server, key, { card_number: valid.card_number, name: valid.name });
      assert.equal(suspended.status, 401);
      // The publishable key of the same partner is a separate key and still works.
      const pub = await check(server, server.demo.partner_check.publishable_key,
        { card_number: valid.card_number, name: valid.name }, { Origin: server.demo.partner_check.origin });
      assert.equal(pub.body.valid, true);
    } finally {
      await server.stop();
      db.cleanup();
    }
  });

  test(`${engine.name}: check records survive a crash and are imported once at the next start`, async () => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl });
    try {
      const key = server.demo.partner_check.server_key;
      const card = demoCard(server.demo, 'valid');
      for (let i = 0; i < 7; i++) {
        assert.equal((await check(server, key, { card_number: card.card_number, name: card.name })).body.valid, true);
      }
      // The writer appends the buffer to the spool file every 200 ms; then the process dies.
      await new Promise((r) => setTimeout(r, 700));
      const killed = new Promise((r) => server.child.on('exit', (code, signal) => r(signal)));
      server.child.kill('SIGKILL');
      assert.equal(await killed, 'SIGKILL');
      const again = await startServer({ pgUrl: db.pgUrl, demo: false, dataDir: server.dataDir });
      assert.equal((await check(again, key, { card_number: card.card_number, name: 'Xyz' })).body.reason, 'no_match');
      const stopped = await again.stop({ keepData: true });
      assert.equal(stopped.code, 0);
      assert.equal(countChecks(server.dataDir, db.pgUrl), 8, 'seven before the crash, one after, none twice');
      assert.deepEqual(readdirSync(join(server.dataDir, 'check-spool')), [], 'the spool is empty after a graceful stop');
    } finally {
      rmSync(server.dataDir, { recursive: true, force: true });
      db.cleanup();
    }
  });
}
