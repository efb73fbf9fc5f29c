// Guest cards with the command line between requests (docs/guest-cards.md),
// what the API case files (tests/api) cannot say: retention unlinks a stock
// card from its stay so that the office can re-initialise it (the new sticker
// works, the old one is refused); retention's yearly run gives a renewed
// annual card a new card-cycle id while the card stays valid and the audit
// trail intact; `passwerk card-stock` imports and re-initialises; and `serve`
// runs retention by itself at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, passwerk } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';
import { api, berlinDay, createToken, guest, guestSchemeCode, guestWithSticker, loadAnnualTariff, productionFile,
  register, sticker, stockNumber } from '../lib/guest_fixture.mjs';

const year = Number(berlinDay().slice(0, 4));

const retention = (server, asOf) =>
  JSON.parse(passwerk(['retention', 'run', '--data', server.dataDir, '--as-of', asOf], { env: server.env }));

for (const engine of engines()) {
  // One server for the three: the card-stock retention run (as of April 2026)
  // comes before the annual card exists, the annual one (next November) after.
  test(`${engine.name}: guest cards with the command line`, async (t) => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl });
    try {
      const { landlord_token: landlord, accommodation_id: accommodation } = server.demo.guest_cards;
      const clerk = createToken(server, 'clerk', 'registrations:write');
      const code = await guestSchemeCode(server);

      await t.test('after retention unlinked its stay, a stock card is re-initialised with a new counter', async () => {
        const number = stockNumber(code, 90001);
        const admin = createToken(server, 'admin', 'registrations:write');
        const imported = await api(server, 'POST', '/api/v1/card-batches', admin, productionFile('B-0301', [number]),
          'text/csv');
        assert.equal(imported.status, 201, JSON.stringify(imported.json));
        const { registration_number: registration } = await register(server, [guestWithSticker(sticker(number, 1))],
          { departure: '2026-04-03' });
        retention(server, '2026-04-20');
        const r = await api(server, 'POST', `/api/v1/guest-cards/${number}/reinitialise`, clerk);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        assert.deepEqual(r.json, { card_number: number, circulation_counter: 2, barcode: sticker(number, 2),
          status: 'in_stock' });
        const stay = { accommodation_id: accommodation, arrival: '2026-05-01', departure: '2026-05-04', group: null,
          marketing_consent: false };
        const ida = { given_name: 'Ida', birth_date: '1990-02-02' };
        const old = await api(server, 'POST', '/api/v1/registrations', landlord,
          { ...stay, guests: [guestWithSticker(sticker(number, 1), ida)] });
        assert.equal(old.status, 400, 'the old sticker is refused');
        const fresh = await api(server, 'POST', '/api/v1/registrations', landlord,
          { ...stay, guests: [guestWithSticker(sticker(number, 2), ida)] });
        assert.equal(fresh.status, 201, JSON.stringify(fresh.json));
        assert.notEqual(fresh.json.registration_number, registration);
      });

      await t.test('passwerk card-stock imports and re-initialises', () => {
        const next = stockNumber(code, 90010);
        const file = join(server.dataDir, 'pav-0302.csv');
        writeFileSync(file, productionFile('B-0302', [next]));
        const out = passwerk(['card-stock', 'import', '--data', server.dataDir, file], { env: server.env });
        assert.match(out, /imported 1 cards in stock \(batches: B-0302\)/);
        assert.throws(() => passwerk(['card-stock', 'reinitialise', '--data', server.dataDir, next],
          { env: server.env }), /in stock already/);
      });

      await t.test('the yearly run gives a renewed annual card a new cycle; the card stays valid', async () => {
        loadAnnualTariff(server);
        const holder = {
          family_name: 'Jahresgast', given_name: 'Gerda', birth_date: '1960-02-03', nationality: 'DE', gender: 'f',
          address: { street: 'Lindenallee 9', postal_code: '80331', city: 'München', country: 'DE' }, reductions: [],
        };
        const issued = await api(server, 'POST', '/api/v1/annual-cards', clerk,
          { municipality: '01055021', basis: 'second_home', holder });
        assert.equal(issued.status, 201, JSON.stringify(issued.json));
        const card = issued.json.card_number;
        const renewed = await api(server, 'POST', `/api/v1/annual-cards/${card}/renew`, clerk,
          { receipt_number: issued.json.receipt_number, year: year + 1, reductions: ['severe_disability_over_50'] });
        assert.equal(renewed.status, 201, JSON.stringify(renewed.json));
        assert.equal(retention(server, `${year + 1}-11-01`).annual_cycles_rotated, 1);
        assert.equal(retention(server, `${year + 1}-11-01`).annual_cycles_rotated, 0);
        const status = await api(server, 'POST', '/api/v1/card-status', null,
          { card_number: card, registration_number: renewed.json.receipt_number });
        assert.equal(status.status, 200, JSON.stringify(status.json));
        assert.equal(status.json.stay.departure, `${year + 1}-12-31`);
        assert.equal(status.json.spa_tax.amount_cents, 1600);
        assert.match(passwerk(['audit', 'verify', '--data', server.dataDir], { env: server.env }),
          /audit trail intact/);
      });
    } finally {
      await server.stop();
      db.cleanup();
    }
  });
}

// `serve` runs retention at start and every retention_interval_minutes. A
// stay that ended long ago is unlinked by the run at start, without anyone
// calling `passwerk retention run`.
test('serve runs retention at start', async () => {
  let server = await startServer();
  const made = await register(server, [guest(), guest({ given_name: 'Max', birth_date: '2015-06-01', gender: 'm' })],
    { arrival: '2026-03-29', departure: '2026-04-03', marketingConsent: true });
  const card = { card_number: made.cards[0].card_number, registration_number: made.registration_number };
  assert.equal((await api(server, 'POST', '/api/v1/card-status', null, card)).status, 200);
  await server.stop({ keepData: true });

  server = await startServer({ dataDir: server.dataDir, demo: false,
    env: { PASSWERK_RETENTION_INTERVAL_MINUTES: '60' } });
  try {
    let run = null;
    for (let i = 0; i < 200 && !run; i++) {
      run = server.stderr().split('\n').find((line) => line.includes('"msg":"retention run"'));
      if (!run) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(run, `no retention run logged: ${server.stderr()}`);
    assert.equal(JSON.parse(run).cycles_historised, 2, run);  // one stay per guest
    const status = await api(server, 'POST', '/api/v1/card-status', null, card);
    assert.equal(status.status, 200, JSON.stringify(status.json));
    assert.equal(status.json.status, 'departed');
    assert.equal(status.json.spa_tax.amount_cents, null, 'the card is unlinked from its stay');
  } finally {
    await server.stop();
  }
});
