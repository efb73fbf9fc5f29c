// The registration contract (docs/guest-cards.md) against the real binary,
// on SQLite and on PostgreSQL: a landlord's software registers guests, gets
// the spa tax and the guest cards, sees and cancels its own registrations
// only; bad input is refused with the field named and nothing stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, passwerk } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';

const example = (accommodation) => ({
  accommodation_id: accommodation,
  arrival: '2026-03-29',
  departure: '2026-04-03',
  guests: [
    {
      family_name: 'Zauberlehrling', given_name: 'Erika', birth_date: '1980-05-01', nationality: 'DE', gender: 'f',
      address: { street: 'Hauptstraße 5', postal_code: '91052', city: 'Erlangen', country: 'DE' },
      reductions: [], card: true,
    },
    {
      family_name: 'Zauberlehrling', given_name: 'Max', birth_date: '2015-06-01', nationality: 'DE', gender: 'm',
      address: { street: 'Hauptstraße 5', postal_code: '91052', city: 'Erlangen', country: 'DE' },
      reductions: [], card: true,
    },
  ],
  group: null,
  marketing_consent: true,
});

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

function landlordToken(server, username) {
  const env = server.env;
  passwerk(['user', 'add', '--data', server.dataDir, '--username', username, '--name', username, '--role', 'landlord',
    '--municipality', server.demo.municipality.number, '--password-stdin'],
  { env, input: 'another-long-password\n', stdio: ['pipe', 'pipe', 'pipe'] });
  const out = passwerk(['token', 'create', '--data', server.dataDir, '--username', username, '--name', 'software',
    '--scopes', 'registrations:write'], { env });
  return out.match(/secret \(shown once, store it now\): (\S+)/)[1];
}

for (const engine of engines()) {
  test(`${engine.name}: registrations`, async (t) => {
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl });
    try {
      const { landlord_token: token, accommodation_id: accommodation } = server.demo.guest_cards;
      let number;
      let consent;

      await t.test('the example registration: tax per guest, one card each', async () => {
        const r = await call(server, 'POST', '/api/v1/registrations', token, example(accommodation));
        assert.equal(r.status, 201, JSON.stringify(r.json));
        assert.match(r.json.registration_number, /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
        assert.deepEqual(r.json.spa_tax, {
          total_cents: 1200, currency: 'EUR',
          guests: [{ nights: 5, amount_cents: 1200, reductions: [] },
            { nights: 5, amount_cents: 0, reductions: ['under_18'] }],
        });
        assert.equal(r.json.cards.length, 2);
        for (const [i, card] of r.json.cards.entries()) {
          assert.equal(card.guest_index, i);
          assert.match(card.card_number, /^\d{12}$/);
          assert.equal(card.barcode, `01055021004711${'0001'}${card.card_number}01`);
        }
        number = r.json.registration_number;
        consent = r.json.marketing_consent_id;
      });

      await t.test('the guest sees the card status with card and registration number', async () => {
        const list = await call(server, 'GET', `/api/v1/registrations/${number}`, token);
        const card = list.json.form.guests[0].card_number;
        let r = await call(server, 'POST', '/api/v1/card-status', null, { card_number: card, registration_number: number });
        assert.equal(r.status, 200, JSON.stringify(r.json));
        assert.deepEqual(r.json, {
          card_number: card, card_type: '1.0', status: 'in_service', provisional: null,
          stay: { arrival: '2026-03-29', departure: '2026-04-03' },
          spa_tax: { amount_cents: 1200, currency: 'EUR', place: 'Kellenhusen (Ostsee)' }, packages: [], uses: [],
        });
        r = await call(server, 'POST', '/api/v1/card-status', null, { card_number: card, registration_number: 'AAAA-AAAA-AAAA' });
        assert.equal(r.status, 404);
        r = await call(server, 'GET', `/api/v1/guest-cards/${card}`, token);
        assert.equal(r.status, 403, 'landlords do not see card status');
      });

      await t.test('the office replaces a lost card: new number, same cycle', async () => {
        const out = passwerk(['token', 'create', '--data', server.dataDir, '--username', 'clerk', '--name', 'office',
          '--scopes', 'registrations:write'], { env: server.env });
        const office = out.match(/secret \(shown once, store it now\): (\S+)/)[1];
        const form = (await call(server, 'GET', `/api/v1/registrations/${number}`, token)).json.form;
        const lost = form.guests[1].card_number;
        let r = await call(server, 'POST', `/api/v1/guest-cards/${lost}/replace`, office,
          { registration_number: number, reason: 'am Strand verloren' });
        assert.equal(r.status, 201, JSON.stringify(r.json));
        assert.equal(r.json.replaces, lost);
        assert.match(r.json.card_number, /^\d{12}$/);
        const status = await call(server, 'POST', '/api/v1/card-status', null,
          { card_number: r.json.card_number, registration_number: number });
        assert.equal(status.status, 200);
        assert.equal(status.json.spa_tax.amount_cents, 0);
        r = await call(server, 'POST', `/api/v1/guest-cards/${lost}/replace`, office,
          { registration_number: number, reason: 'again' });
        assert.equal(r.status, 409);
        r = await call(server, 'POST', `/api/v1/guest-cards/${status.json.card_number}/replace`, token,
          { registration_number: number, reason: 'landlord' });
        assert.equal(r.status, 403);
      });

      await t.test('a CSV batch as German Excel writes it, all or nothing', async () => {
        const header = '\uFEFFMeldeschein;Unterkunft;Anreise;Abreise;Familienname;Vorname;Geburtsdatum;' +
          'Staatsangehörigkeit;Geschlecht;Straße;PLZ;Ort;Land;Ermäßigungen;Gästekarte\r\n';
        const row = (key, given, birth) => `${key};${accommodation};29.03.2026;03.04.2026;Zauberlehrling;${given};` +
          `${birth};DE;w;Hauptstraße 5;91052;Erlangen;DE;;ja\r\n`;
        const send = (body) => fetch(`${server.url}/api/v1/registrations/csv`, {
          method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' }, body,
        });
        const before = (await call(server, 'GET', '/api/v1/registrations', token)).json.registrations.length;
        let response = await send(header + row('A', 'Erika', '01.05.1980') + row('B', 'Max', '31.02.2015'));
        assert.equal(response.status, 400);
        const refused = await response.json();
        assert.deepEqual(refused.problems, [{ line: 3, column: 'Geburtsdatum',
          message: 'guests[0].birth_date must be a date YYYY-MM-DD' }]);
        assert.equal((await call(server, 'GET', '/api/v1/registrations', token)).json.registrations.length, before);
        response = await send(header + row('A', 'Erika', '01.05.1980') + row('A', 'Max', '01.06.2015') +
          row('B', 'Ida', '02.02.1990'));
        assert.equal(response.status, 201);
        const made = await response.json();
        assert.equal(made.registrations.length, 2);
        assert.equal(made.registrations[0].spa_tax.total_cents, 1200);
        assert.equal(made.registrations[0].cards.length, 2);
      });

      await t.test('no token, no registration', async () => {
        const r = await call(server, 'POST', '/api/v1/registrations', null, example(accommodation));
        assert.equal(r.status, 401);
      });

      await t.test('bad input names the field and stores nothing', async () => {
        const before = (await call(server, 'GET', '/api/v1/registrations', token)).json.registrations.length;
        const body = example(accommodation);
        delete body.guests[1].birth_date;
        let r = await call(server, 'POST', '/api/v1/registrations', token, body);
        assert.equal(r.status, 400);
        assert.equal(r.json.error.field, 'guests[1].birth_date');
        const reduced = example(accommodation);
        reduced.guests[0].reductions = ['student'];
        r = await call(server, 'POST', '/api/v1/registrations/batch', token,
          { registrations: [example(accommodation), reduced] });
        assert.equal(r.status, 400);
        assert.equal(r.json.error.field, 'registrations[1].guests[0].reductions[0]');
        r = await call(server, 'POST', '/api/v1/registrations', token, { ...example(accommodation), arrival: 'tomorrow' });
        assert.equal(r.json.error.field, 'arrival');
        const after = (await call(server, 'GET', '/api/v1/registrations', token)).json.registrations.length;
        assert.equal(after, before);
      });

      await t.test('a batch is stored whole', async () => {
        const r = await call(server, 'POST', '/api/v1/registrations/batch', token,
          { registrations: [example(accommodation), example(accommodation)] });
        assert.equal(r.status, 201);
        assert.equal(r.json.registrations.length, 2);
      });

      await t.test('the landlord sees the registration and its form', async () => {
        const list = await call(server, 'GET', '/api/v1/registrations', token);
        assert.equal(list.status, 200);
        assert.ok(list.json.registrations.some((x) => x.registration_number === number));
        const one = await call(server, 'GET', `/api/v1/registrations/${number}`, token);
        assert.equal(one.status, 200);
        assert.equal(one.json.spa_tax_total_cents, 1200);
        assert.equal(one.json.form.guests[0].family_name, 'Zauberlehrling');
      });

      await t.test('another landlord sees nothing of it', async () => {
        const other = landlordToken(server, 'vermieter.zwei');
        assert.deepEqual((await call(server, 'GET', '/api/v1/registrations', other)).json.registrations, []);
        assert.equal((await call(server, 'GET', `/api/v1/registrations/${number}`, other)).status, 404);
        assert.equal((await call(server, 'POST', `/api/v1/registrations/${number}/cancel`, other)).status, 404);
        const r = await call(server, 'POST', '/api/v1/registrations', other, example(accommodation));
        assert.equal(r.status, 404);
        assert.equal(r.json.error.field, 'accommodation_id');
      });

      await t.test('cancel once', async () => {
        let r = await call(server, 'POST', `/api/v1/registrations/${number}/cancel`, token);
        assert.equal(r.status, 200);
        assert.equal(r.json.state, 'cancelled');
        r = await call(server, 'POST', `/api/v1/registrations/${number}/cancel`, token);
        assert.equal(r.status, 409);
      });

      await t.test('statistics: office staff only, small cells suppressed, CSV', async () => {
        const out = passwerk(['token', 'create', '--data', server.dataDir, '--username', 'admin', '--name', 'stats',
          '--scopes', 'statistics:read'], { env: server.env });
        const admin = out.match(/secret \(shown once, store it now\): (\S+)/)[1];
        for (let i = 0; i < 2; i++) {
          assert.equal((await call(server, 'POST', '/api/v1/registrations', token, example(accommodation))).status, 201);
        }
        const path = '/api/v1/statistics/spa-tax?municipality=01055021&year=2026&by=month';
        const r = await call(server, 'GET', path, admin);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        // March 2026: 4 active registrations of 2 guests through the API (one of the first five was
        // cancelled) and 3 guests from the CSV batch.
        assert.deepEqual(r.json.cells, [{ key: '2026-03', suppressed: false, guests: 11, overnight_stays: 55,
          spa_tax_cents: 7200 }]);
        const byAge = await call(server, 'GET', path.replace('by=month', 'by=age_band'), admin);
        // Five children, five adults of 45 and one of 36: the single guest's cell is suppressed,
        // and the smallest other one with it, or the total would give it away.
        assert.deepEqual(byAge.json.cells, [
          { key: '0-17', suppressed: true },
          { key: '33-37', suppressed: true },
          { key: '43-47', suppressed: false, guests: 5, overnight_stays: 25, spa_tax_cents: 6000 }]);
        assert.equal(byAge.json.total.guests, 11);
        assert.equal((await call(server, 'GET', path, token)).status, 403);
        const csv = await fetch(server.url + path + '&format=csv', { headers: { Authorization: `Bearer ${admin}` } });
        assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
        assert.match(await csv.text(), /2026-03;11;55;72,00\r\n/);
      });

      await t.test('withdrawing the marketing consent deletes it', async () => {
        assert.match(consent, /^[0-9a-f]{32}$/);
        assert.equal((await call(server, 'DELETE', `/api/v1/marketing-consents/${consent}`)).status, 204);
        assert.equal((await call(server, 'DELETE', `/api/v1/marketing-consents/${consent}`)).status, 404);
      });
    } finally {
      await server.stop();
      db.cleanup();
    }
  });
}

// `serve` runs retention on its own: at start and every
// retention_interval_minutes. A stay that ended long ago is unlinked by the
// run at start, without anyone calling `passwerk retention run`.
test('serve runs retention at start', async () => {
  let server = await startServer();
  const { landlord_token: token, accommodation_id: accommodation } = server.demo.guest_cards;
  const made = await call(server, 'POST', '/api/v1/registrations', token, example(accommodation));
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const card = { card_number: made.json.cards[0].card_number, registration_number: made.json.registration_number };
  assert.equal((await call(server, 'POST', '/api/v1/card-status', null, card)).status, 200);
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
    const status = await call(server, 'POST', '/api/v1/card-status', null, card);
    assert.equal(status.status, 200, JSON.stringify(status.json));
    assert.equal(status.json.status, 'departed');
    assert.equal(status.json.spa_tax.amount_cents, null, 'the card is unlinked from its stay');
  } finally {
    await server.stop();
  }
});
