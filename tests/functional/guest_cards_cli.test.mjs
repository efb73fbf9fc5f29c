// Guest cards with the command line in the loop (docs/guest-cards.md), what
// the API case files (tests/api) cannot say: `serve` runs retention by itself
// at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { api, guest, register } from '../lib/guest_fixture.mjs';

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
