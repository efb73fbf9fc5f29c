// Annual cards over HTTP on both engines (docs/guest-cards.md, "Annual
// cards"): the office issues one for the tariff's annual rate, the holder sees
// its status with the receipt, the office renews it for the next year, and
// retention's yearly run gives it a new card-cycle id while the card stays
// valid and the audit trail intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startServer, passwerk } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';

const HOHENKIRCHEN = fileURLToPath(new URL('../../web/static/tariffs/hohenkirchen-2024.json', import.meta.url));

async function call(server, method, path, token, body) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(server.url + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

function token(server, username) {
  const out = passwerk(['token', 'create', '--data', server.dataDir, '--username', username, '--name', 'office',
    '--scopes', 'registrations:write'], { env: server.env });
  return out.match(/secret \(shown once, store it now\): (\S+)/)[1];
}

// Today in Europe/Berlin, as the server computes it.
const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date());
const year = Number(today.slice(0, 4));

const body = (extra = {}) => ({
  municipality: '01055021', basis: 'second_home',
  holder: {
    family_name: 'Jahresgast', given_name: 'Gerda', birth_date: '1960-02-03', nationality: 'DE', gender: 'f',
    address: { street: 'Lindenallee 9', postal_code: '80331', city: 'München', country: 'DE' }, reductions: [],
  },
  ...extra,
});

for (const engine of engines()) {
  test(`${engine.name}: annual cards`, async (t) => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl });
    try {
      const clerk = token(server, 'clerk');
      const { landlord_token: landlord } = server.demo.guest_cards;
      let card;
      let renewed;

      await t.test('without an annual rate in the tariff no card is issued', async () => {
        const r = await call(server, 'POST', '/api/v1/annual-cards', clerk, body());
        assert.equal(r.status, 409, JSON.stringify(r.json));
        assert.equal(r.json.error.code, 'failed_precondition');
      });

      passwerk(['tariff', 'load', '--data', server.dataDir, '--municipality', '01055021', HOHENKIRCHEN],
        { env: server.env });

      await t.test('the office issues an annual card for the annual rate', async () => {
        const r = await call(server, 'POST', '/api/v1/annual-cards', clerk, body());
        assert.equal(r.status, 201, JSON.stringify(r.json));
        card = r.json;
        assert.match(card.receipt_number, /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
        assert.match(card.card_number, /^\d{12}$/);
        assert.deepEqual({ ...card, receipt_number: '', card_number: '' }, {
          receipt_number: '', card_number: '', card_type: '3.0', valid_from: today, valid_to: `${year}-12-31`,
          spa_tax: { amount_cents: 3200, currency: 'EUR', reductions: [] },
        });
      });

      await t.test('bad input names the field; landlords issue none', async () => {
        const unknown = await call(server, 'POST', '/api/v1/annual-cards', clerk, body({ colour: 'blue' }));
        assert.equal(unknown.status, 400);
        assert.equal(unknown.json.error.field, 'colour');
        const reduction = await call(server, 'POST', '/api/v1/annual-cards', clerk,
          body({ holder: { ...body().holder, reductions: ['companion_b'] } }));
        assert.equal(reduction.status, 400);
        assert.equal(reduction.json.error.field, 'holder.reductions[0]');
        const past = await call(server, 'POST', '/api/v1/annual-cards', clerk, body({ year: year - 1 }));
        assert.equal(past.status, 400);
        assert.equal(past.json.error.field, 'year');
        const other = await call(server, 'POST', '/api/v1/annual-cards', clerk, body({ municipality: '99999999' }));
        assert.equal(other.status, 404);
        const byLandlord = await call(server, 'POST', '/api/v1/annual-cards', landlord, body());
        assert.equal(byLandlord.status, 403);
        const anonymous = await call(server, 'POST', '/api/v1/annual-cards', null, body());
        assert.equal(anonymous.status, 401);
      });

      await t.test('the holder sees the card with the receipt, nothing with another', async () => {
        const r = await call(server, 'POST', '/api/v1/card-status', null,
          { card_number: card.card_number, registration_number: card.receipt_number });
        assert.equal(r.status, 200, JSON.stringify(r.json));
        assert.equal(r.json.card_type, '3.0');
        assert.equal(r.json.status, 'in_service');
        assert.equal(r.json.stay.departure, `${year}-12-31`);
        assert.equal(r.json.spa_tax.amount_cents, 3200);
        const wrong = await call(server, 'POST', '/api/v1/card-status', null,
          { card_number: card.card_number, registration_number: 'AAAA-BBBB-CCCC' });
        assert.equal(wrong.status, 404);
      });

      await t.test('renewal for the next year keeps the card valid without a gap', async () => {
        const early = await call(server, 'POST', `/api/v1/annual-cards/${card.card_number}/renew`, clerk,
          { receipt_number: card.receipt_number, year: year + 2 });
        assert.equal(early.status, 400);
        assert.equal(early.json.error.field, 'year');
        const r = await call(server, 'POST', `/api/v1/annual-cards/${card.card_number}/renew`, clerk,
          { receipt_number: card.receipt_number, year: year + 1, reductions: ['severe_disability_over_50'] });
        assert.equal(r.status, 201, JSON.stringify(r.json));
        renewed = r.json;
        assert.equal(renewed.card_number, card.card_number);
        assert.equal(renewed.valid_from, `${year + 1}-01-01`);
        assert.equal(renewed.valid_to, `${year + 1}-12-31`);
        assert.deepEqual(renewed.spa_tax, { amount_cents: 1600, currency: 'EUR',
          reductions: ['severe_disability_over_50'] });
        const status = await call(server, 'GET', `/api/v1/guest-cards/${card.card_number}`, clerk);
        assert.equal(status.status, 200);
        assert.equal(status.json.stay.departure, `${year + 1}-12-31`);
      });

      await t.test('the yearly run gives the card a new cycle; the card stays valid', async () => {
        const asOf = `${year + 1}-11-01`;
        const run = JSON.parse(passwerk(['retention', 'run', '--data', server.dataDir, '--as-of', asOf],
          { env: server.env }));
        assert.equal(run.annual_cycles_rotated, 1);
        const again = JSON.parse(passwerk(['retention', 'run', '--data', server.dataDir, '--as-of', asOf],
          { env: server.env }));
        assert.equal(again.annual_cycles_rotated, 0);
        const status = await call(server, 'POST', '/api/v1/card-status', null,
          { card_number: card.card_number, registration_number: renewed.receipt_number });
        assert.equal(status.status, 200, JSON.stringify(status.json));
        assert.equal(status.json.stay.departure, `${year + 1}-12-31`);
        assert.equal(status.json.spa_tax.amount_cents, 1600);
        const audit = passwerk(['audit', 'verify', '--data', server.dataDir], { env: server.env });
        assert.match(audit, /audit trail intact/);
      });
    } finally {
      await server.stop();
      db.cleanup();
    }
  });
}
