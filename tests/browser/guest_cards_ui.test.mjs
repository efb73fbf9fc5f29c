// Browser tests of the guest-card pages: a landlord registers guests on a
// phone-sized screen, staff read the spa-tax statistics. Real binary with the
// demo dataset, Debian's Chromium, axe-core, no foreign requests, no CSP
// violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite } from '../lib/browser.mjs';

// One server and one browser for this file (tests/lib/browser.mjs).
const ui = browserSuite();
const { withPage, checkA11y, submit, login } = ui;

const NAV = 'nav[aria-label="Hauptnavigation"]';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

async function fillGuest(page, i, guest) {
  for (const [field, value] of Object.entries(guest)) await page.fill(`#f-g${i}_${field}`, value);
}

test('a landlord registers two guests on a phone and gets the spa tax and the cards', async () => {
  await withPage(PHONE, async (page) => {
    await login(page, 'landlord');
    assert.equal(await page.locator(`${NAV} a[href="/cards"]`).count(), 0, 'landlords see no card registry');
    assert.equal(await page.locator(`${NAV} a[href="/statistics"]`).count(), 0, 'landlords see no statistics');
    await page.goto(`${ui.base}/registrations`);
    await checkA11y(page, 'registrations (empty)');
    await page.click('main a[href="/registrations/new"]');
    await page.waitForURL('**/registrations/new');
    await checkA11y(page, 'new registration');

    await page.fill('#f-arrival', '2026-03-29');
    await page.fill('#f-departure', '2026-04-03');
    const address = { street: 'Hauptstraße 5', postal_code: '91052', city: 'Erlangen' };
    await fillGuest(page, 0, { family_name: 'Zauberlehrling', given_name: 'Erika', ...address });
    await fillGuest(page, 1, { family_name: 'Zauberlehrling', given_name: 'Max', birth_date: '2015-06-01',
      ...address });
    await submit(page, 'form[action="/registrations"]');
    // Guest 1 has no birth date: the error sits at that field, the rest is kept.
    const birth = page.locator('#f-g0_birth_date');
    assert.equal(await birth.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('[role="alert"] a[href="#f-g0_birth_date"]').count(), 1);
    assert.equal(await page.inputValue('#f-g1_given_name'), 'Max');
    await checkA11y(page, 'new registration with an error');

    await page.fill('#f-g0_birth_date', '1980-05-01');
    await submit(page, 'form[action="/registrations"]');
    const main = await page.locator('main').innerText();
    assert.match(main, /Meldeschein gespeichert/);
    assert.match(main, /Kurabgabe gesamt\s+12,00 €/);
    assert.match(main, /Gästekarte für Gast 2/);
    await checkA11y(page, 'registration saved');
    await page.goto(`${ui.base}/registrations`);
    assert.match(await page.locator('main table').innerText(), /29\.03\.2026 – 03\.04\.2026/);
    await checkA11y(page, 'registrations');
  });
});

test('staff read the statistics: small cells suppressed, chart and CSV', async () => {
  await withPage({}, async (page) => {
    await login(page, 'admin');
    await page.click(`${NAV} a[href="/statistics"]`);
    await page.waitForURL('**/statistics');
    await checkA11y(page, 'statistics (month)');
    await page.selectOption('#f-year', '2026');
    await submit(page, 'form[action="/statistics"]');
    const table = await page.locator('main table').innerText();
    assert.match(table, /2026-03\s+unterdrückt \(Datenschutz\)/);
    assert.equal(await page.locator('main a[href^="/statistics.csv"]').count(), 1);
    await checkA11y(page, 'statistics with figures');
    const csv = await page.evaluate(async () => (await fetch(document.querySelector('main a[href^="/statistics.csv"]').href)).text());
    assert.match(csv, /2026-03;x;;/);
  });
});
