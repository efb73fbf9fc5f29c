// Card logistics over HTTP on both engines (docs/guest-cards.md, "Card
// logistics"): a production file is imported whole or not at all, a landlord
// registers a guest with the sticker of a stock card, the office cannot
// re-initialise the card while it is linked to the stay, and after retention
// can — the new sticker works, the old one is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, passwerk } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';
import { loginTerminal } from '../lib/terminal.mjs';

function luhnDigit(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}
const stockNumber = (code, serial) => {
  const body = code + String(serial).padStart(8, '0');
  return body + luhnDigit(body);
};
const sticker = (number, counter) => `01055021004711${'0001'}${number}${String(counter).padStart(2, '0')}`;

async function call(server, method, path, token, body, type = 'application/json') {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = type;
  const response = await fetch(server.url + path, {
    method, headers, body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

function token(server, username) {
  const out = passwerk(['token', 'create', '--data', server.dataDir, '--username', username, '--name', 'office',
    '--scopes', 'registrations:write'], { env: server.env });
  return out.match(/secret \(shown once, store it now\): (\S+)/)[1];
}

const guest = (given, birth, extra = {}) => ({
  family_name: 'Seemann', given_name: given, birth_date: birth, nationality: 'DE', gender: 'f',
  address: { street: 'Hafenweg 2', postal_code: '24103', city: 'Kiel', country: 'DE' }, reductions: [], ...extra,
});

for (const engine of engines()) {
  test(`${engine.name}: card stock`, async (t) => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl });
    try {
      const { landlord_token: landlord, accommodation_id: accommodation } = server.demo.guest_cards;
      const admin = token(server, 'admin');
      const clerk = token(server, 'clerk');
      // The scheme code: the first three digits of any drawn guest card.
      const probe = await call(server, 'POST', '/api/v1/registrations', landlord, {
        accommodation_id: accommodation, arrival: '2026-06-01', departure: '2026-06-02',
        guests: [guest('Probe', '1970-01-01', { card: true })], group: null, marketing_consent: false,
      });
      assert.equal(probe.status, 201, JSON.stringify(probe.json));
      const code = probe.json.cards[0].card_number.slice(0, 3);
      const numbers = [1, 2, 3].map((i) => stockNumber(code, 90000 + i));
      const header = 'Batch;Produktionsdatum;Kartentyp;Kartennummer;Umlaufzähler;Gemeindenummer;Gemeindeteilnummer;Ausgabestelle\r\n';
      const line = (batch, number) => `${batch};01.03.2026;1.0;${number};1;01055021;00;4711\r\n`;

      await t.test('a production file with a bad line imports nothing, every problem named', async () => {
        const r = await call(server, 'POST', '/api/v1/card-batches?file_name=pav-0301.csv', admin,
          header + line('B-0301', numbers[0]) + `B-0301;31.02.2026;1.0;${numbers[1]};1;01055021;00;4711\r\n`, 'text/csv');
        assert.equal(r.status, 400);
        assert.deepEqual(r.json.problems, [{ line: 3, column: 'Produktionsdatum', message: 'a date (dd.mm.yyyy)' }]);
        const stock = await call(server, 'GET', '/api/v1/card-stock?municipality=01055021&status=in_stock', clerk);
        assert.equal(stock.status, 200);
        assert.deepEqual(stock.json.cards, []);
      });

      await t.test('the good file is imported once; landlords and clerks do not import', async () => {
        const body = header + numbers.map((n) => line('B-0301', n)).join('');
        assert.equal((await call(server, 'POST', '/api/v1/card-batches', landlord, body, 'text/csv')).status, 403);
        assert.equal((await call(server, 'POST', '/api/v1/card-batches', clerk, body, 'text/csv')).status, 403);
        const r = await call(server, 'POST', '/api/v1/card-batches?file_name=pav-0301.csv', admin, body, 'text/csv');
        assert.equal(r.status, 201, JSON.stringify(r.json));
        assert.deepEqual(r.json, { batches: ['B-0301'], cards: 3 });
        const again = await call(server, 'POST', '/api/v1/card-batches', admin, body, 'text/csv');
        assert.equal(again.status, 400);
        assert.match(again.json.problems[0].message, /imported before/);
        const stock = await call(server, 'GET', '/api/v1/card-stock?municipality=01055021&status=in_stock', clerk);
        assert.deepEqual(stock.json.cards.map((c) => c.card_number).sort(), [...numbers].sort());
        assert.equal((await call(server, 'GET', '/api/v1/card-stock?municipality=01055021', landlord)).status, 403);
      });

      let registration;
      await t.test('a landlord registers a guest with the sticker of a stock card', async () => {
        const r = await call(server, 'POST', '/api/v1/registrations', landlord, {
          accommodation_id: accommodation, arrival: '2026-03-29', departure: '2026-04-03',
          guests: [guest('Erika', '1980-05-01', { card_barcode: sticker(numbers[0], 1) })],
          group: null, marketing_consent: false,
        });
        assert.equal(r.status, 201, JSON.stringify(r.json));
        assert.deepEqual(r.json.cards, [{ guest_index: 0, card_number: numbers[0], barcode: sticker(numbers[0], 1) }]);
        registration = r.json.registration_number;
        const taken = await call(server, 'POST', '/api/v1/registrations', landlord, {
          accommodation_id: accommodation, arrival: '2026-03-29', departure: '2026-04-03',
          guests: [guest('Max', '1981-05-01', { card_barcode: sticker(numbers[0], 1) })],
          group: null, marketing_consent: false,
        });
        assert.equal(taken.status, 409);
        assert.equal(taken.json.error.field, 'guests[0].card_barcode');
      });

      await t.test('re-initialisation waits for the unlinking, then raises the circulation counter', async () => {
        let r = await call(server, 'POST', `/api/v1/guest-cards/${numbers[0]}/reinitialise`, clerk);
        assert.equal(r.status, 409, JSON.stringify(r.json));
        assert.equal((await call(server, 'POST', `/api/v1/guest-cards/${numbers[0]}/reinitialise`, landlord)).status, 403);
        passwerk(['retention', 'run', '--data', server.dataDir, '--as-of', '2026-04-20'], { env: server.env });
        r = await call(server, 'POST', `/api/v1/guest-cards/${numbers[0]}/reinitialise`, clerk);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        assert.deepEqual(r.json, { card_number: numbers[0], circulation_counter: 2, barcode: sticker(numbers[0], 2),
          status: 'in_stock' });
        const old = await call(server, 'POST', '/api/v1/registrations', landlord, {
          accommodation_id: accommodation, arrival: '2026-05-01', departure: '2026-05-04',
          guests: [guest('Ida', '1990-02-02', { card_barcode: sticker(numbers[0], 1) })],
          group: null, marketing_consent: false,
        });
        assert.equal(old.status, 400, 'the old sticker is refused');
        const fresh = await call(server, 'POST', '/api/v1/registrations', landlord, {
          accommodation_id: accommodation, arrival: '2026-05-01', departure: '2026-05-04',
          guests: [guest('Ida', '1990-02-02', { card_barcode: sticker(numbers[0], 2) })],
          group: null, marketing_consent: false,
        });
        assert.equal(fresh.status, 201, JSON.stringify(fresh.json));
        assert.notEqual(fresh.json.registration_number, registration);
      });

      await t.test('a card handed out before the stay gets the stay with the registration', async () => {
        const r = await call(server, 'POST', '/api/v1/guest-cards/hand-out', landlord,
          { card_barcode: sticker(numbers[1], 1) });
        assert.equal(r.status, 201, JSON.stringify(r.json));
        assert.deepEqual(r.json, { card_number: numbers[1], card_type: '1.0', status: 'handed_out',
          valid_days_from_first_use: 28 });
        const again = await call(server, 'POST', '/api/v1/guest-cards/hand-out', landlord,
          { card_barcode: sticker(numbers[1], 1) });
        assert.equal(again.status, 409);
        const bad = await call(server, 'POST', '/api/v1/guest-cards/hand-out', landlord, { card_barcode: 'x', more: 1 });
        assert.equal(bad.status, 400);
        const handedOut = await call(server, 'GET', '/api/v1/card-stock?municipality=01055021&status=handed_out', clerk);
        assert.deepEqual(handedOut.json.cards.map((c) => c.card_number), [numbers[1]]);
        // Before the registration the bus takes it for 28 days from its first use (001 §4.3).
        const before = await call(server, 'GET', `/api/v1/guest-cards/${numbers[1]}`, clerk);
        assert.deepEqual(before.json.provisional, { days: 28, first_use: null, valid_to: null });
        const bus = server.demo.terminals.find((t) => t.provider === '100300');
        const terminal = await loginTerminal(server.url, bus, {
          card_number: numbers[1], circulation_counter: 1, municipality_number: '01055021', issuing_office: '4711',
        });
        const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Berlin' });
        const [ride] = await terminal.upload([terminal.accept(`${today}T09:00:00`, '301', '9000')]);
        assert.equal(ride.conflict, undefined, JSON.stringify(ride));
        const lastDay = new Date(Date.parse(`${today}T00:00:00Z`) + 27 * 86400e3).toISOString().slice(0, 10);
        const used = await call(server, 'GET', `/api/v1/guest-cards/${numbers[1]}`, clerk);
        assert.deepEqual(used.json.provisional, { days: 28, first_use: today, valid_to: lastDay });
        assert.deepEqual(used.json.stay, { arrival: null, departure: null });
        assert.equal(used.json.spa_tax.amount_cents, null);
        const registered = await call(server, 'POST', '/api/v1/registrations', landlord, {
          accommodation_id: accommodation, arrival: '2026-07-01', departure: '2026-07-08',
          guests: [guest('Lotte', '1985-07-07', { card_barcode: sticker(numbers[1], 1) })],
          group: null, marketing_consent: false,
        });
        assert.equal(registered.status, 201, JSON.stringify(registered.json));
        const status = await call(server, 'GET', `/api/v1/guest-cards/${numbers[1]}`, clerk);
        assert.equal(status.status, 200);
        assert.deepEqual(status.json.stay, { arrival: '2026-07-01', departure: '2026-07-08' });
        assert.equal(status.json.provisional, null);
        assert.equal(status.json.uses.length, 1, 'the ride before the registration stays with the card');
        assert.equal(status.json.status, 'in_service');
      });

      await t.test('the command line imports and re-initialises too', () => {
        const next = stockNumber(code, 90010);
        const file = join(server.dataDir, 'pav-0302.csv');
        writeFileSync(file, header + line('B-0302', next));
        const out = passwerk(['card-stock', 'import', '--data', server.dataDir, file], { env: server.env });
        assert.match(out, /imported 1 cards in stock \(batches: B-0302\)/);
        assert.throws(() => passwerk(['card-stock', 'reinitialise', '--data', server.dataDir, next],
          { env: server.env }), /in stock already/);
      });
    } finally {
      await server.stop();
      db.cleanup();
    }
  });
}
