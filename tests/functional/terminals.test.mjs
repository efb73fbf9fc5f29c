// The terminal protocol (docs/terminal-protocol.md) against the real binary,
// on SQLite and on PostgreSQL, spoken by hand: challenge-and-response login,
// sync data, uploads taken exactly once with malformed transactions rejected
// one by one, batches that are no batch refused whole, online acceptance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPrivateKey, sign } from 'node:crypto';
import { startServer } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';

const berlinDay = (offsetDays = 0) =>
  new Date(Date.now() + offsetDays * 86400000).toLocaleDateString('sv-SE', { timeZone: 'Europe/Berlin' });

async function call(server, method, path, token, body, raw) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined || raw !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(server.url + path, {
    method, headers, body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : null };
}

// The key file's 32-byte Ed25519 seed as a Node key (PKCS#8 DER prefix + seed).
function keyFromFile(path) {
  const [magic, tid, seed] = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(magic, 'passwerk-terminal-key-v1');
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed, 'base64')]);
  return { tid, key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
}

const signLogin = (key, tid, challenge) =>
  sign(null, Buffer.from(`passwerk-terminal-login-v1\n${tid}\n${challenge}`), key).toString('base64');

async function login(server, tid, key) {
  const c = await call(server, 'POST', '/api/terminal/v1/challenge', null, { tid });
  assert.equal(c.status, 200);
  const l = await call(server, 'POST', '/api/terminal/v1/login', null,
    { tid, challenge: c.json.challenge, signature: signLogin(key, tid, c.json.challenge) });
  return { challenge: c.json.challenge, response: l };
}

for (const engine of engines()) {
  test(`${engine.name}: terminal protocol`, async (t) => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl });
    try {
      const demo = server.demo;
      const municipality = demo.guest_cards.municipality;
      const bad = demo.terminals.find((x) => x.tid === 'T-BAD-01');
      const { key } = keyFromFile(bad.key_file);
      const today = berlinDay(0);
      const guest = (given) => ({
        family_name: 'Zauberlehrling', given_name: given, birth_date: '1980-05-01', nationality: 'DE', gender: 'f',
        address: { street: 'Hauptstraße 5', postal_code: '91052', city: 'Erlangen', country: 'DE' },
        reductions: [], card: true,
      });
      const reg = await call(server, 'POST', '/api/v1/registrations', demo.guest_cards.landlord_token, {
        accommodation_id: demo.guest_cards.accommodation_id, arrival: today, departure: berlinDay(7),
        guests: [guest('Erika'), guest('Max')], group: null, marketing_consent: false,
      });
      assert.equal(reg.status, 201, JSON.stringify(reg.json));
      const [card, card2] = reg.json.cards.map((c) => c.card_number);
      const ref = (number) => ({ card_number: number, circulation_counter: 1, municipality_number: municipality,
        issuing_office: '4711' });
      const at = `${today}T10:00:00`;
      const purchase = (booking, number, pkg, price) => ({
        booking_number: booking, at, vu_number: bad.provider, operator: '1', kind: 'purchase',
        sales: [{ position: 1, ...ref(number), package_number: pkg, price_cents: price, written: true }],
        payment: { method: 'card', amount_cents: price },
      });
      const acceptance = (booking, number, service, pkg) => ({
        booking_number: booking, at, vu_number: bad.provider, operator: '1', kind: 'acceptance',
        consumption: { ...ref(number), service_number: service, package_number: pkg },
      });
      let session;

      await t.test('login is challenge and response, never replayable', async () => {
        const { challenge, response } = await login(server, bad.tid, key);
        assert.equal(response.status, 200);
        assert.equal(response.json.terminal.vu_number, bad.provider);
        assert.equal(response.json.terminal.municipality_number, municipality);
        assert.equal(response.json.last_booking_number, 0);
        session = response.json.session;
        const replay = await call(server, 'POST', '/api/terminal/v1/login', null,
          { tid: bad.tid, challenge, signature: signLogin(key, bad.tid, challenge) });
        assert.equal(replay.status, 401);
        const other = demo.terminals.find((x) => x.tid !== bad.tid);
        const c = await call(server, 'POST', '/api/terminal/v1/challenge', null, { tid: other.tid });
        const wrongKey = await call(server, 'POST', '/api/terminal/v1/login', null,
          { tid: other.tid, challenge: c.json.challenge, signature: signLogin(key, other.tid, c.json.challenge) });
        assert.equal(wrongKey.status, 401);
        const unknown = await login(server, 'T-NOBODY', key);
        assert.equal(unknown.response.status, 401);
        assert.deepEqual(unknown.response.json, wrongKey.json);
        const garbage = await call(server, 'POST', '/api/terminal/v1/login', null,
          { tid: bad.tid, challenge: 'x', signature: '!!!' });
        assert.equal(garbage.status, 401);
        const badTid = await call(server, 'POST', '/api/terminal/v1/challenge', null, { tid: 'a b' });
        assert.equal(badTid.status, 400);
      });

      await t.test('sync data: catalogue and blocked cards, for a session only', async () => {
        const none = await call(server, 'GET', '/api/terminal/v1/sync-data', null);
        assert.equal(none.status, 401);
        assert.match(none.headers.get('www-authenticate'), /Bearer/);
        const staff = await call(server, 'GET', '/api/terminal/v1/sync-data', demo.terminals_token);
        assert.equal(staff.status, 401);
        const data = await call(server, 'GET', '/api/terminal/v1/sync-data', session);
        assert.equal(data.status, 200);
        assert.equal(data.json.protocol, 1);
        assert.equal(data.json.municipality_number, municipality);
        const days = data.json.packages.find((p) => p.kind === 'days_of');
        assert.deepEqual([days.days, days.window_days], [3, 7]);
        assert.ok(data.json.services.some((s) => s.service_number === '201'));
        assert.ok(Array.isArray(data.json.blocked_cards));
        assert.deepEqual(data.json.operators, ['1', '2']);
      });

      await t.test('uploads are taken exactly once; bad transactions are rejected one by one', async () => {
        const badAmount = purchase(3, card, '9002', 1200);
        badAmount.payment.amount_cents = 1000;
        const wrongKind = { ...acceptance(4, card, '201', '9002'), kind: 'refund' };
        const batch = [purchase(1, card, '9001', 2900), acceptance(2, card, '201', '9001'), badAmount, wrongKind,
          purchase(5, card2, '9002', 1200)];
        const first = await call(server, 'POST', '/api/terminal/v1/transactions', session,
          { protocol: 1, transactions: batch });
        assert.equal(first.status, 200, JSON.stringify(first.json));
        assert.deepEqual(first.json.results.map((r) => [r.booking_number, r.result]),
          [[1, 'accepted'], [2, 'accepted'], [3, 'rejected'], [4, 'rejected'], [5, 'accepted']]);
        assert.match(first.json.results[2].reason, /^payment\.amount_cents: must be 1200/);
        assert.match(first.json.results[3].reason, /^kind:/);
        const again = await call(server, 'POST', '/api/terminal/v1/transactions', session,
          { protocol: 1, transactions: batch });
        assert.deepEqual(again.json.results.map((r) => r.result),
          ['duplicate', 'duplicate', 'rejected', 'rejected', 'duplicate']);
        const totals = await call(server, 'GET', `/api/v1/terminals/${bad.tid}/totals`, demo.terminals_token);
        assert.equal(totals.status, 200);
        assert.equal(totals.json.transactions, 3);
        assert.equal(totals.json.payments_cents, 4100);
        assert.deepEqual(totals.json.by_kind, { acceptance: 1, purchase: 2 });
        // A replaced device learns where its predecessor stopped numbering.
        const again2 = await login(server, bad.tid, key);
        assert.equal(again2.response.json.last_booking_number, 5);
      });

      await t.test('a body that is no batch is refused whole and stores nothing', async () => {
        const cases = [
          [undefined, '{"protocol": 1, "transactions": ['],
          [{ protocol: 1 }],
          [{ protocol: 2, transactions: [purchase(10, card, '9002', 1200)] }],
          [{ protocol: 1, transactions: [purchase(10, card, '9002', 1200), purchase(10, card, '9002', 1200)] }],
          [{ protocol: 1, transactions: [purchase(11, card, '9002', 1200), { kind: 'purchase' }] }],
          [{ protocol: 1, transactions: Array.from({ length: 1001 }, (_, i) => acceptance(100 + i, card, '301', '9000')) }],
        ];
        for (const [body, raw] of cases) {
          const r = await call(server, 'POST', '/api/terminal/v1/transactions', session, body, raw);
          assert.equal(r.status, 400, JSON.stringify(body ?? raw).slice(0, 80));
          assert.equal(r.json.error.code, 'invalid_argument');
        }
        const totals = await call(server, 'GET', `/api/v1/terminals/${bad.tid}/totals`, demo.terminals_token);
        assert.equal(totals.json.transactions, 3);
        const forged = await call(server, 'POST', '/api/terminal/v1/transactions', 'forged-session',
          { protocol: 1, transactions: [purchase(12, card, '9002', 1200)] });
        assert.equal(forged.status, 401);
      });

      await t.test('online acceptance: allowed with what remains, denied with the reason', async () => {
        const ask = (booking, service, pkg) => call(server, 'POST', '/api/terminal/v1/acceptances', session, {
          booking_number: booking, at, operator: '1', ...ref(card2), service_number: service,
          ...(pkg ? { package_number: pkg } : {}),
        });
        // card2 holds the sauna ticket (9002) bought above, nothing for the pool.
        const pool = await ask(20, '201');
        assert.equal(pool.json.decision, 'denied');
        assert.equal(pool.json.reason, 'no_such_package');
        const sauna = await ask(21, '202', '9002');
        assert.equal(sauna.status, 200);
        assert.equal(sauna.json.decision, 'allowed');
        assert.equal(sauna.json.result, 'accepted');
        const twice = await ask(22, '202', '9002');
        assert.equal(twice.json.decision, 'denied');
        assert.equal(twice.json.reason, 'package_used_up');
        assert.equal(twice.json.result, 'not_recorded');
        const repeated = await ask(21, '202', '9002');
        assert.equal(repeated.json.result, 'duplicate');
        const bus = await ask(23, '301');
        assert.deepEqual([bus.json.decision, bus.json.package_number], ['allowed', '9000']);
        const malformed = await call(server, 'POST', '/api/terminal/v1/acceptances', session,
          { booking_number: 24, at, operator: '1', ...ref(card2), service_number: '20x' });
        assert.equal(malformed.status, 400);
        assert.equal(malformed.json.error.field, 'service_number');
      });

      await t.test('double use found on upload is reported to staff', async () => {
        const r = await call(server, 'POST', '/api/terminal/v1/transactions', session,
          { protocol: 1, transactions: [acceptance(30, card2, '202', '9002')] });
        assert.deepEqual([r.json.results[0].result, r.json.results[0].conflict], ['accepted', 'package_used_up']);
        const conflicts = await call(server, 'GET', '/api/v1/acceptance-conflicts', demo.terminals_token);
        assert.equal(conflicts.status, 200);
        const c = conflicts.json.conflicts.find((x) => x.detail.booking_number === 30);
        assert.equal(c.card_number, card2);
        assert.equal(c.kind, 'package_used_up');
      });
    } finally {
      await server.stop();
      db.cleanup();
    }
  });
}
