// The reference terminal client (`passwerk terminal`, docs/terminal-protocol.md
// §5) against the real server, on SQLite and on PostgreSQL: online and
// offline acceptance, sales buffered while the server is away and uploaded
// later, a replayed sync, and the kill test: SIGKILL at random moments of
// syncs and sales, after which the server's totals for the TID equal exactly
// what was sold (nothing lost, nothing counted twice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startServer } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';
import { addDays, api, berlinDay, createToken, guest, register } from '../lib/guest_fixture.mjs';
import { loginTerminal } from '../lib/terminal.mjs';

// Runs the binary; with killAfterMs it is SIGKILLed that long after the start
// unless it finished before. The last stdout line is parsed as JSON.
function run(args, { killAfterMs = null, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      let json = null;
      const last = stdout.trim().split('\n').pop();
      try { json = last ? JSON.parse(last) : null; } catch { json = null; }
      resolve({ code, signal, stdout, stderr, json, ms: Date.now() - started });
    });
  });
}

// A URL where nothing listens: the server "is down".
async function closedUrl() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}`;
}

// Real guest cards: the landlord registers guests (docs/guest-cards.md);
// with the registration number of each card.
async function guestCards(server, count, arrival) {
  const cards = [];
  const registrations = [];
  for (let first = 0; first < count; first += 5) {
    const guests = [];
    for (let i = first; i < Math.min(count, first + 5); i++) {
      guests.push(guest({ family_name: 'Terminal', given_name: `Gast ${i}` }));
    }
    const r = await register(server, guests, { arrival, departure: addDays(arrival, 3) });
    cards.push(...r.cards.map((c) => c.card_number));
    registrations.push(...r.cards.map(() => r.registration_number));
  }
  return { cards, registrations };
}

async function totals(server, tid) {
  const r = await api(server, 'GET', `/api/v1/terminals/${encodeURIComponent(tid)}/totals`,
    server.demo.terminals_token);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

// A small deterministic generator, so a failing run can be repeated with
// PASSWERK_KILL_SEED.
function random(seed) {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

for (const engine of engines()) {
  test(`${engine.name}: the terminal client`, async (t) => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl });
    const dir = mkdtempSync(join(tmpdir(), 'passwerk-terminal-'));
    try {
      const terminalInfo = server.demo.terminals[0];
      const { tid } = terminalInfo;
      const keyFile = terminalInfo.key_file;
      const buffer = join(dir, 'buffer.db');
      const down = await closedUrl();
      const terminal = (url, args, options) =>
        run(['terminal', '--server', url, '--key-file', keyFile, '--buffer', buffer, '--json', ...args], options);
      const status = async () => {
        const r = await run(['terminal', '--tid', tid, '--buffer', buffer, 'status', '--json']);
        assert.equal(r.code, 0, r.stderr);
        return r.json;
      };

      const today = berlinDay();
      const at = `${today}T10:00:00`;
      // The login of §1 done by hand, to read sync-data independently of the client.
      const catalogue = await (await loginTerminal(server.url, terminalInfo)).syncData();
      const onSale = catalogue.packages.filter((p) => p.kind !== 'base' && p.sale_from <= today && today <= p.sale_to);
      const single = onSale.find((p) => p.kind === 'single');
      assert.ok(single, `a single-service package on sale in ${JSON.stringify(catalogue.packages)}`);
      const service = single.services.find((s) => terminalInfo.services.includes(s)) ?? single.services[0];
      const priced = onSale.filter((p) => p.price_cents > 0);
      assert.ok(priced.length >= 1);
      const { cards, registrations } = await guestCards(server, 14, today);

      await t.test('before the first sync the terminal cannot sell; after it, it knows the catalogue', async () => {
        let r = await terminal(down, ['sell', '--card', cards[0], '--package', single.package_number, '--pay', 'cash']);
        assert.equal(r.code, 1);
        assert.equal(r.json.error.code, 'failed_precondition');
        r = await terminal(server.url, ['sync']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.sync_data, true);
        assert.equal(r.json.packages, catalogue.packages.length);
        const s = await status();
        assert.equal(s.tid, tid);
        assert.equal(s.municipality_number, catalogue.municipality_number);
        assert.equal(s.catalogue.packages, catalogue.packages.length);
        assert.equal(s.pending, 0);
        assert.notEqual(s.last_sync, null);
      });

      await t.test('online: a single ticket is allowed once, then denied; bad input is exit 2', async () => {
        const before = await totals(server, tid);
        let r = await terminal(server.url, ['sell', '--card', cards[0], '--package', single.package_number,
          '--pay', 'card', '--at', at]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.uploaded, true, r.stderr);
        assert.equal(r.json.price_cents, single.price_cents);
        r = await terminal(server.url, ['accept', '--card', cards[0], '--service', service,
          '--package', single.package_number, '--at', `${today}T10:05:00`, '--operator', '2']);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(r.json.decision, 'allowed');
        assert.equal(r.json.online, true);
        assert.equal(r.json.result, 'accepted');
        r = await terminal(server.url, ['accept', '--card', cards[0], '--service', service,
          '--package', single.package_number, '--at', `${today}T10:06:00`]);
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.equal(r.json.decision, 'denied');
        assert.equal(r.json.online, true);
        assert.equal(r.json.reason, 'package_used_up');
        r = await terminal(server.url, ['accept', '--card', '123456789012', '--service', service]);
        assert.equal(r.code, 2);
        r = await terminal(server.url, ['accept', '--card', cards[0], '--service', service, '--at', 'yesterday']);
        assert.equal(r.code, 2);
        assert.equal((await status()).pending, 0, 'an online acceptance is not buffered');
        const after = await totals(server, tid);
        assert.equal(after.transactions, before.transactions + 2);
        assert.equal(after.payments_cents, before.payments_cents + single.price_cents);
      });

      await t.test('offline: decided from what the terminal sold, buffered, uploaded by the next sync', async () => {
        const before = await totals(server, tid);
        let r = await terminal(down, ['sell', '--card', cards[1], '--package', single.package_number, '--pay', 'cash',
          '--at', at]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.uploaded, false);
        r = await terminal(down, ['accept', '--card', cards[1], '--service', service, '--at', `${today}T10:10:00`]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(r.json.decision, 'allowed');
        assert.equal(r.json.online, false);
        assert.equal(r.json.result, 'buffered');
        assert.equal(r.json.package_number, single.package_number);
        r = await terminal(down, ['accept', '--card', cards[1], '--service', service,
          '--package', single.package_number, '--at', `${today}T10:11:00`]);
        assert.equal(r.code, 3);
        assert.equal(r.json.reason, 'package_used_up');
        assert.equal(r.json.online, false);
        r = await terminal(down, ['sync']);
        assert.equal(r.code, 1, 'sync with the server away fails and keeps the buffer');
        assert.equal((await status()).pending, 2);
        assert.deepEqual(await totals(server, tid), before, 'nothing reached the server');

        r = await terminal(server.url, ['sync', '--batch', '1']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.accepted, 2);
        assert.equal(r.json.batches, 2);
        assert.equal(r.json.pending, 0);
        const after = await totals(server, tid);
        assert.equal(after.transactions, before.transactions + 2);
        assert.equal(after.payments_cents, before.payments_cents + single.price_cents);
        // The server knows the offline use now.
        r = await terminal(server.url, ['accept', '--card', cards[1], '--service', service,
          '--package', single.package_number, '--at', `${today}T10:12:00`]);
        assert.equal(r.code, 3);
        assert.equal(r.json.online, true);
        assert.equal(r.json.reason, 'package_used_up');
      });

      await t.test('base package: online from the stay, offline assumed; a replaced card blocked', async (tt) => {
        const base = catalogue.packages.find((p) => p.kind === 'base');
        const bus = base && server.demo.terminals.find((x) => x.services.some((s) => base.services.includes(s)));
        if (!bus) {
          tt.skip('the demo catalogue has no base package that a demo terminal serves');
          return;
        }
        const busService = bus.services.find((s) => base.services.includes(s));
        const busBuffer = join(dir, 'bus.db');
        const busTerminal = (url, args) =>
          run(['terminal', '--server', url, '--key-file', bus.key_file, '--buffer', busBuffer, '--json', ...args]);
        let r = await busTerminal(server.url, ['sync']);
        assert.equal(r.code, 0, r.stderr);
        const before = await totals(server, bus.tid);
        r = await busTerminal(server.url, ['accept', '--card', cards[12], '--service', busService, '--at', at]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(r.json.online, true);
        assert.equal(r.json.package_number, base.package_number);
        r = await busTerminal(down, ['accept', '--card', cards[13], '--service', busService, '--at', at]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(r.json.online, false);
        assert.equal(r.json.base_assumed, true);
        assert.equal(r.json.result, 'buffered');
        r = await busTerminal(server.url, ['sync']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.accepted, 1);
        assert.equal(r.json.conflicts, 0, 'the stay covers the day');
        const after = await totals(server, bus.tid);
        assert.equal(after.transactions, before.transactions + 2);
        assert.equal(after.payments_cents, before.payments_cents);

        // The office replaces card 13: the old number is blocked, and the
        // terminal learns it with the next sync.
        const office = createToken(server, 'clerk', 'registrations:write');
        const replaced = await api(server, 'POST', `/api/v1/guest-cards/${cards[13]}/replace`, office,
          { registration_number: registrations[13], reason: 'verloren' });
        assert.equal(replaced.status, 201, JSON.stringify(replaced.json));
        r = await busTerminal(server.url, ['sync']);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.json.blocked_cards >= 1);
        r = await busTerminal(down, ['accept', '--card', cards[13], '--service', busService, '--at', at]);
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.equal(r.json.reason, 'blocked');
        assert.equal(r.json.online, false);
        r = await busTerminal(server.url, ['accept', '--card', cards[13], '--service', busService, '--at', at]);
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.equal(r.json.online, true);
        assert.equal(r.json.reason, 'blocked');
        const s = await run(['terminal', '--tid', bus.tid, '--buffer', busBuffer, 'status', '--json']);
        assert.equal(s.json.pending, 0);
        assert.ok(s.json.blocked_cards >= 1);
      });

      await t.test('a replayed sync is harmless: the server answers duplicate and counts nothing twice', async () => {
        for (let i = 0; i < 3; i++) {
          const p = priced[i % priced.length];
          const r = await terminal(down, ['sell', '--card', cards[2], '--package', p.package_number,
            '--pay', i % 2 ? 'card' : 'cash', '--at', at]);
          assert.equal(r.code, 0, r.stderr);
        }
        // A copy of the buffer as it was before the upload (the last command
        // closed it cleanly, so the WAL is checkpointed into the file).
        const replay = join(dir, 'replay.db');
        assert.ok(!existsSync(`${buffer}-wal`) || readFileSync(`${buffer}-wal`).length === 0);
        copyFileSync(buffer, replay);
        const before = await totals(server, tid);
        let r = await terminal(server.url, ['sync']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.accepted, 3);
        const after = await totals(server, tid);
        assert.equal(after.transactions, before.transactions + 3);
        r = await run(['terminal', '--server', server.url, '--key-file', keyFile, '--buffer', replay, '--json',
          'sync']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.duplicate, 3);
        assert.equal(r.json.accepted, 0);
        r = await terminal(server.url, ['sync']);
        assert.equal(r.json.sent, 0);
        assert.deepEqual(await totals(server, tid), after);
      });

      await t.test('a transaction the server rejects is moved aside, and status names it', async () => {
        // The demo terminal has operators 1 and 2; offline the terminal cannot
        // know that, so the sale is made and the upload refuses it.
        let r = await terminal(down, ['sell', '--card', cards[2], '--package', single.package_number, '--pay', 'cash',
          '--at', at, '--operator', '99']);
        assert.equal(r.code, 0, r.stderr);
        const number = r.json.booking_number;
        const before = await totals(server, tid);
        r = await terminal(server.url, ['sync']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.rejected, 1);
        assert.equal(r.json.pending, 0);
        const s = await status();
        assert.deepEqual(s.rejected.map((x) => x.booking_number), [number]);
        assert.match(s.rejected[0].reason, /operator/);
        assert.equal(s.rejected[0].transaction.operator, '99');
        assert.deepEqual(await totals(server, tid), before);
        r = await terminal(server.url, ['accept', '--card', cards[2], '--service', service, '--operator', '99']);
        assert.equal(r.code, 2, 'online, the server refuses the operator: bad input');
      });

      await t.test('SIGKILL at random moments of syncs and sales loses and duplicates nothing', async () => {
        const seed = Number(process.env.PASSWERK_KILL_SEED ?? Date.now() % 1000000);
        const rnd = random(seed);
        const started = Date.now();
        // Kills land at a random moment between the start and `window` ms
        // later. A sync takes some 50 ms, but several hundred under ASan or on
        // a busy machine: the window starts from a measured empty sync and
        // then follows what happens, growing a little after each kill and
        // shrinking after each sync that finished, so that about three in four
        // syncs are killed, at moments spread over all their phases.
        const calibration = [];
        for (let i = 0; i < 3; i++) calibration.push((await terminal(server.url, ['sync'])).ms);
        const startup = calibration.sort((a, b) => a - b)[1];
        let window = Math.round(startup * 1.5) + 50;
        // The leak check at each exit would cost more time than the rest of
        // the test; the other tests above run with it.
        const asan = [process.env.ASAN_OPTIONS, 'detect_leaks=0'].filter(Boolean).join(':');
        const quick = { ...process.env, ASAN_OPTIONS: asan };
        const before = await totals(server, tid);
        const { next_booking_number: first, rejected: { length: rejectedBefore } } = await status();
        const racedPackage = priced[0];
        let soldCount = 0;
        let soldCents = 0;
        const sellBuffered = async () => {
          const p = priced[rnd(priced.length)];
          const r = await terminal(down, ['sell', '--card', cards[3 + rnd(9)], '--package', p.package_number,
            '--pay', rnd(2) ? 'card' : 'cash', '--at', at, '--operator', String(1 + rnd(2))], { env: quick });
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.json.price_cents, p.price_cents);
          soldCount += 1;
          soldCents += p.price_cents;
        };
        // A backlog, so that the syncs have many batches to upload. Every
        // process of the debug build costs some 0.3 s of CPU for ASan's start:
        // the numbers keep the test well under two minutes there, and can be
        // raised for a release build.
        const backlog = Number(process.env.PASSWERK_KILL_BACKLOG ?? 60);
        const kills = Number(process.env.PASSWERK_KILLS ?? 100);
        for (let i = 0; i < backlog; i += 3) await Promise.all([sellBuffered(), sellBuffered(), sellBuffered()]);
        const backlogMs = Date.now() - started;

        let syncsKilled = 0;
        let killedAfterUploading = 0;  // the server had taken something from the buffer
        let seen = before.transactions;
        let racedKilled = 0;
        let racedSales = 0;
        for (let i = 0; i < kills; i++) {
          // Before the buffer is open, during login, between an upload and the
          // deletion of what it acknowledged, while sync-data is stored.
          const sync = terminal(server.url, ['sync', '--batch', '2'], { killAfterMs: rnd(window), env: quick });
          // Sales go on while the terminal syncs; some of them are killed too
          // (those go to the real server and may be killed while uploading).
          const work = [sellBuffered()];
          const killSale = i % 4 === 0;
          if (killSale) {
            racedSales += 1;
            work.push(terminal(server.url, ['sell', '--card', cards[3], '--package', racedPackage.package_number,
              '--pay', 'cash', '--at', at], { killAfterMs: rnd(window), env: quick })
              .then((r) => { if (r.signal === 'SIGKILL') racedKilled += 1; else assert.equal(r.code, 0, r.stderr); }));
          }
          const [s] = await Promise.all([sync, ...work]);
          const now = (await totals(server, tid)).transactions;
          if (s.signal === 'SIGKILL') {
            syncsKilled += 1;
            if (now > seen && !killSale) killedAfterUploading += 1;
            window = Math.round(window * 1.03);
          } else {
            assert.ok(s.code === 0 || s.code === 1, `sync ended with ${s.code}: ${s.stderr}`);
            window = Math.max(10, Math.round(window * 0.9));
          }
          seen = now;
        }

        let final = null;
        for (let i = 0; i < 3 && (!final || final.code !== 0); i++) final = await terminal(server.url, ['sync']);
        assert.equal(final.code, 0, final.stderr);
        const end = await status();
        assert.equal(end.pending, 0);
        assert.equal(end.rejected.length, rejectedBefore, 'nothing rejected');
        // A sale takes its booking number in the SQLite transaction that
        // stores it: every number handed out is one sale that happened.
        const committed = end.next_booking_number - first;
        const racedCommitted = committed - soldCount;
        assert.ok(racedCommitted >= 0 && racedCommitted <= racedSales,
          `${committed} numbers for ${soldCount} + up to ${racedSales} sales`);
        const after = await totals(server, tid);
        assert.equal(after.transactions - before.transactions, committed, 'every sale counted exactly once');
        assert.equal(after.payments_cents - before.payments_cents,
          soldCents + racedCommitted * racedPackage.price_cents, 'the payments add up');
        assert.equal((after.by_kind.purchase ?? 0) - (before.by_kind.purchase ?? 0), committed);
        t.diagnostic(`seed ${seed}, an empty sync takes ${startup} ms: ${committed} sales (${racedCommitted} of the ` +
          `${racedSales} raced by a kill committed, ${racedKilled} killed), ${syncsKilled} of ${kills} syncs killed ` +
          `(${killedAfterUploading} of those without a killed sale after uploading; window at the end ${window} ms), ` +
          `${Date.now() - started} ms (backlog ${backlogMs} ms)`);
        // Not vacuous: syncs were killed, also after the server had taken part
        // of the buffer.
        assert.ok(syncsKilled >= kills / 10, `only ${syncsKilled} syncs were killed`);
        assert.ok(killedAfterUploading >= 1, 'no sync was killed after uploading');
      });
    } finally {
      await server.stop();
      db.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
