// Browser tests of the terminal and catalogue pages: an administrator adds a
// package (with a mistake first), registers a terminal by its public key and
// disables it again; a clerk sees terminals and conflicts but cannot change
// them; a transaction the catalogue refuses is listed for staff. Real binary with the demo dataset, Debian's Chromium, axe-core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { browserSuite } from '../lib/browser.mjs';
import { berlinDay } from '../lib/guest_fixture.mjs';
import { loginTerminal } from '../lib/terminal.mjs';

const ui = browserSuite();
const { withPage, checkA11y, submit, login } = ui;

const NAV = 'nav[aria-label="Hauptnavigation"]';

test('an administrator manages the catalogue and registers a terminal', async () => {
  await withPage({}, async (page) => {
    await login(page, 'admin');
    await page.click(`${NAV} a[href="/terminals"]`);
    await page.waitForURL('**/terminals');
    const registry = await page.locator('main table').first().innerText();
    assert.match(registry, /T-BAD-01/);
    assert.match(registry, /Stationäres Kartenterminal/);
    await checkA11y(page, 'terminals');

    await page.goto(`${ui.base}/catalogue`);
    const packages = await page.locator('#packages-caption').locator('xpath=ancestor::table').innerText();
    assert.match(packages, /3 aus 7: Bad, Sauna und Bus/);
    assert.match(packages, /3 Tage aus 7 ab erster Nutzung/);
    assert.match(packages, /100200: 700 ‰, 100300: 300 ‰/);
    await checkA11y(page, 'catalogue');

    // A "2 out of 1" package is refused at the field; the entries are kept.
    const form = 'form[action^="/catalogue/packages?"]';
    await page.fill(`${form} #f-package_number`, '9010');
    await page.selectOption(`${form} #f-package_kind`, 'days_of');
    await page.fill(`${form} #f-package_name`, '2 aus 5: Bad');
    await page.fill(`${form} #f-price`, '19,50');
    await page.fill(`${form} #f-sale_from`, '2026-01-01');
    await page.fill(`${form} #f-sale_to`, '2026-12-31');
    await page.fill(`${form} #f-validity_days`, '30');
    await page.fill(`${form} #f-days`, '6');
    await page.fill(`${form} #f-window_days`, '5');
    await page.check(`${form} input[name="service_201"]`);
    await submit(page, form);
    assert.equal(await page.locator('#f-days').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.inputValue('#f-package_name'), '2 aus 5: Bad');
    await checkA11y(page, 'catalogue with an error');
    await page.fill(`${form} #f-days`, '2');
    await submit(page, form);
    assert.match(await page.locator('main').innerText(), /Gespeichert/);
    assert.match(await page.locator('main').innerText(), /2 aus 5: Bad\s+N Tage aus M\s+19,50 €/);

    // Register a terminal with its public key (the raw 32 bytes, base64).
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
    await page.goto(`${ui.base}/terminals`);
    await page.fill('#f-tid', 'T-MUSEUM-01');
    await page.selectOption('#f-kind', 'kiosk');
    await page.fill('#f-public_key', 'not a key');
    await submit(page, 'form[action="/terminals"]');
    assert.equal(await page.locator('#f-public_key').getAttribute('aria-invalid'), 'true');
    await checkA11y(page, 'terminal registration with an error');
    await page.fill('#f-public_key', raw);
    await submit(page, 'form[action="/terminals"]');
    assert.match(await page.locator('main').innerText(), /Das Terminal ist registriert/);
    assert.match(await page.locator('main table').first().innerText(), /T-MUSEUM-01\s+100200\s+SB-Terminal/);
    await page.click('button[aria-label="Terminal T-MUSEUM-01 sperren"]');
    await page.waitForLoadState();
    assert.match(await page.locator('main table').first().innerText(), /T-MUSEUM-01.*gesperrt/s);
    await checkA11y(page, 'terminals after changes');
  });
});

test('a clerk sees terminals and conflicts but changes nothing', async () => {
  await withPage({}, async (page) => {
    await login(page, 'clerk');
    await page.click(`${NAV} a[href="/terminals"]`);
    await page.waitForURL('**/terminals');
    assert.equal(await page.locator('form[action="/terminals"]').count(), 0);
    assert.equal(await page.locator('button[aria-label^="Terminal T-BAD-01"]').count(), 0);
    assert.match(await page.locator('main').innerText(), /Konflikte/);
    await page.goto(`${ui.base}/catalogue`);
    assert.equal(await page.locator('form[action^="/catalogue/"]').count(), 0);
    await checkA11y(page, 'catalogue (read only)');
    const refused = await page.evaluate(async () => {
      const csrf = document.querySelector('input[name="csrf"]')?.value || '';
      const r = await fetch('/catalogue/providers', { method: 'POST', body: new URLSearchParams({ csrf, provider_vu_number: '1', provider_name: 'x' }) });
      return r.status;
    });
    assert.equal(refused, 403);
  });
});

test('a transaction the catalogue refuses is listed for staff, named in words, without the card', async () => {
  const pool = (ui.server.demo.terminals ?? []).find((t) => t.provider === '100200');
  assert.ok(pool, 'the demo has the pool terminal');
  const terminal = await loginTerminal(ui.base, pool);
  const sale = terminal.sell(`${berlinDay()}T10:00:00`, '9003', 1, 'cash');  // a 25 € package for 1 cent
  const response = await fetch(`${ui.base}/api/terminal/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${terminal.session}` },
    body: JSON.stringify({ protocol: 1, transactions: [sale] }),
  });
  const { results } = await response.json();
  assert.equal(results[0].refusal, 'price_mismatch');
  await withPage({}, async (page) => {
    await login(page, 'admin');
    await page.goto(`${ui.base}/terminals`);
    const table = await page.locator('#refused-caption').locator('xpath=ancestor::table').innerText();
    assert.match(table, new RegExp(`T-BAD-01\\s+${sale.booking_number}\\s+\\d\\d\\.\\d\\d\\.\\d{4}\\s+Preis weicht vom Katalog ab\\s+0,01 €`));
    assert.doesNotMatch(table, new RegExp(sale.sales[0].card_number));
    await checkA11y(page, 'terminals with a refused transaction');
  });
});
