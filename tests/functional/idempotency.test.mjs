// Idempotent retries (docs/api.md, "Idempotency-Key") against the real binary
// on both engines: a retry with the same key gets the first answer and creates
// nothing again, also after the server was killed between its commit and the
// client reading the answer; another body or endpoint under the key is a 409;
// another user's key is another key; a malformed key is a 400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';
import { addDays, createToken, guest } from '../lib/guest_fixture.mjs';

// A POST with an Idempotency-Key (or without, when `key` is null).
async function post(server, path, token, key, body, type = 'application/json') {
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': type };
  if (key !== null) headers['Idempotency-Key'] = key;
  const response = await fetch(server.url + path, {
    method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, replayed: response.headers.get('idempotency-replayed'), text,
    json: text ? JSON.parse(text) : null };
}

// The same request twice under one key: the first answer, and the retry's.
async function twice(server, path, token, key, body, type = 'application/json') {
  const first = await post(server, path, token, key, body, type);
  assert.equal(first.status, 201, first.text);
  return [first, await post(server, path, token, key, body, type)];
}

async function get(server, path, token) {
  const response = await fetch(server.url + path, { headers: { Authorization: `Bearer ${token}` } });
  return response.json();
}

// A landlord's day of arrivals: `count` registrations of one guest each, all arriving on `arrival`.
function batch(accommodation, arrival, count) {
  const registrations = [];
  for (let i = 0; i < count; i++) {
    registrations.push({ accommodation_id: accommodation, arrival, departure: addDays(arrival, 3), group: null,
      marketing_consent: false, guests: [guest({ given_name: `Gast${i}` })] });
  }
  return { registrations };
}

// The registrations arriving on `arrival` the token's user sees, and the spa tax they were charged.
async function arrivals(server, token, arrival) {
  const list = (await get(server, '/api/v1/registrations?limit=1000', token)).registrations
    .filter((r) => r.arrival === arrival && r.state === 'active');
  return { count: list.length, cents: list.reduce((sum, r) => sum + r.spa_tax_total_cents, 0) };
}

for (const engine of engines()) {
  test(`${engine.name}: Idempotency-Key`, async (t) => {
    const db = engine.setup();
    let server = await startServer({ pgUrl: db.pgUrl });
    try {
      const { landlord_token: landlord, accommodation_id: accommodation } = server.demo.guest_cards;
      const clerk = createToken(server, 'clerk', 'registrations:write');
      const social = createToken(server, 'sozialamt', 'cards:write');
      const scheme = server.demo.departments[0].scheme;

      await t.test('a batch whose answer was lost in a kill is registered and charged once', async () => {
        const body = batch(accommodation, '2026-07-01', 50);
        const first = await post(server, '/api/v1/registrations/batch', landlord, 'day-2026-07-01', body);
        assert.equal(first.status, 201, first.text);
        assert.equal(first.replayed, null);
        const before = await arrivals(server, landlord, '2026-07-01');
        assert.equal(before.count, 50);
        // The client never read that answer: the server is killed, comes back, and the client retries.
        const { dataDir, env, demo } = server;
        await new Promise((resolve) => { server.child.on('exit', resolve); server.child.kill('SIGKILL'); });
        server = await startServer({ dataDir, pgUrl: db.pgUrl, demo: false, env });
        server.demo = demo;
        const retry = await post(server, '/api/v1/registrations/batch', landlord, 'day-2026-07-01', body);
        assert.equal(retry.status, 201, retry.text);
        assert.equal(retry.replayed, 'true');
        assert.equal(retry.text, first.text, 'the same answer, byte for byte');
        assert.deepEqual(await arrivals(server, landlord, '2026-07-01'), before, 'registered and charged once');
      });

      await t.test('concurrent retries with one key register once and all get the same answer', async () => {
        const body = batch(accommodation, '2026-07-02', 20);
        const answers = await Promise.all([1, 2, 3, 4].map(() =>
          post(server, '/api/v1/registrations/batch', landlord, 'day-2026-07-02', body)));
        for (const a of answers) {
          assert.equal(a.status, 201, a.text);
          assert.equal(a.text, answers[0].text);
        }
        assert.equal(answers.filter((a) => a.replayed === 'true').length, 3);
        assert.equal((await arrivals(server, landlord, '2026-07-02')).count, 20);
      });

      await t.test('a single registration and a CSV file are replayed too', async () => {
        const one = batch(accommodation, '2026-07-03', 1).registrations[0];
        const [first, again] = await twice(server, '/api/v1/registrations', landlord, 'single-1', one);
        assert.equal(again.status, 201);
        assert.equal(again.replayed, 'true');
        assert.deepEqual(again.json, first.json);
        assert.equal((await arrivals(server, landlord, '2026-07-03')).count, 1);
        const csv = 'Meldeschein;Unterkunft;Anreise;Abreise;Familienname;Vorname;Geburtsdatum;Staatsangehörigkeit;'
          + 'Geschlecht;Straße;PLZ;Ort;Land;Ermäßigungen;Gästekarte\r\n'
          + `A;${accommodation};03.07.2026;06.07.2026;Zauberlehrling;Ida;02.02.1990;DE;w;Hauptstraße 5;91052;`
          + 'Erlangen;DE;;ja\r\n';
        const [file, fileAgain] = await twice(server, '/api/v1/registrations/csv', landlord, 'csv-1', csv, 'text/csv');
        assert.equal(fileAgain.replayed, 'true');
        assert.equal(fileAgain.text, file.text);
        assert.equal((await arrivals(server, landlord, '2026-07-03')).count, 2);
      });

      await t.test('the same key with another body or endpoint is a 409', async () => {
        const one = batch(accommodation, '2026-07-04', 1).registrations[0];
        assert.equal((await post(server, '/api/v1/registrations', landlord, 'reused', one)).status, 201);
        const other = await post(server, '/api/v1/registrations', landlord, 'reused',
          { ...one, departure: '2026-07-08' });
        assert.equal(other.status, 409, other.text);
        assert.equal(other.json.error.code, 'idempotency_key_reused');
        const elsewhere = await post(server, '/api/v1/registrations/batch', landlord, 'reused', { registrations: [one] });
        assert.equal(elsewhere.status, 409, elsewhere.text);
        assert.equal(elsewhere.json.error.code, 'idempotency_key_reused');
        assert.equal((await arrivals(server, landlord, '2026-07-04')).count, 1);
      });

      await t.test("another user's same key is another key and reveals nothing", async () => {
        const one = batch(accommodation, '2026-07-05', 1).registrations[0];
        const mine = await post(server, '/api/v1/registrations', landlord, 'shared-key', one);
        const theirs = await post(server, '/api/v1/registrations', clerk, 'shared-key', one);
        assert.deepEqual([mine.status, theirs.status, theirs.replayed], [201, 201, null], theirs.text);
        assert.notEqual(theirs.json.registration_number, mine.json.registration_number);
        assert.equal((await arrivals(server, clerk, '2026-07-05')).count, 2);
      });

      await t.test('a malformed key is a 400 and creates nothing', async () => {
        const one = batch(accommodation, '2026-07-06', 1).registrations[0];
        for (const key of ['a b', 'x'.repeat(256), '']) {
          const r = await post(server, '/api/v1/registrations', landlord, key, one);
          assert.equal(r.status, 400, `${JSON.stringify(key)}: ${r.text}`);
          assert.equal(r.json.error.field, 'Idempotency-Key');
        }
        assert.equal((await post(server, '/api/v1/registrations', landlord, 'x'.repeat(255), one)).status, 201);
        assert.equal((await arrivals(server, landlord, '2026-07-06')).count, 1);
      });

      await t.test('without the header every request creates, as before', async () => {
        const one = batch(accommodation, '2026-07-07', 1).registrations[0];
        assert.equal((await post(server, '/api/v1/registrations', landlord, null, one)).status, 201);
        assert.equal((await post(server, '/api/v1/registrations', landlord, null, one)).status, 201);
        assert.equal((await arrivals(server, landlord, '2026-07-07')).count, 2);
      });

      await t.test('a card is issued, replaced and renewed once per key', async () => {
        const card = { scheme, holder: { family_name: 'Muster', given_name: 'Maria', birth_date: '1970-01-01' } };
        const [issued, again] = await twice(server, '/api/v1/cards', social, 'card-1', card);
        assert.equal(again.status, 201);
        assert.equal(again.replayed, 'true');
        assert.equal(again.json.card_number, issued.json.card_number);
        const other = await post(server, '/api/v1/cards', social, 'card-1',
          { ...card, holder: { ...card.holder, given_name: 'Marta' } });
        assert.equal(other.status, 409);
        assert.equal(other.json.error.code, 'idempotency_key_reused');
        const number = issued.json.card_number;
        const replace = { reason: 'verloren' };
        const [replaced, replacedAgain] = await twice(server, `/api/v1/cards/${number}/replace`, social, 'replace-1',
          replace);
        assert.equal(replacedAgain.status, 201, replacedAgain.text);
        assert.equal(replacedAgain.json.card_number, replaced.json.card_number, 'one replacement, not two');
        const renewPath = `/api/v1/cards/${replaced.json.card_number}/renew`;
        const renewed = await post(server, renewPath, social, 'renew-1', '{}');
        assert.equal(renewed.status, 200, renewed.text);
        const renewedAgain = await post(server, renewPath, social, 'renew-1', '{}');
        assert.equal(renewedAgain.replayed, 'true');
        assert.equal(renewedAgain.json.valid_until, renewed.json.valid_until, 'extended once');
      });

      await t.test('a staff user is created once per key', async () => {
        const admin = createToken(server, 'admin', 'users:read,users:write');
        const user = { username: 'idem.clerk', display_name: 'Idem Clerk', role: 'clerk',
          password: 'a-long-enough-password', municipality_id: server.demo.municipality.id,
          departments: [server.demo.departments[0].id] };
        const [created, again] = await twice(server, '/api/v1/users', admin, 'user-1', user);
        assert.equal(again.status, 201, again.text);
        assert.equal(again.replayed, 'true');
        assert.equal(again.json.id, created.json.id);
        const withoutKey = await post(server, '/api/v1/users', admin, null, user);
        assert.equal(withoutKey.status, 409, 'the username is taken: the replay created nothing');
      });
    } finally {
      await server.stop();
      db.cleanup();
    }
  });
}
