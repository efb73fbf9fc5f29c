// Browser tests of the settlement pages (docs/settlement.md): two demo
// terminals upload a July through the terminal API, an administrator settles
// the month, downloads a provider's CSV and PDF, closes the statement and
// computes a correction; an auditor reads, a clerk is kept out. Real binary
// with the demo dataset, Debian's Chromium, axe-core, no foreign requests, no
// CSP violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite } from '../lib/browser.mjs';
import { JULY_2026_ENV, uploadDemoJuly } from '../lib/terminal.mjs';

const ui = browserSuite({ env: JULY_2026_ENV });
const { withPage, checkA11y, submit, login } = ui;

const NAV = 'nav[aria-label="Hauptnavigation"]';

async function settle(page, period) {
  await page.fill('#f-period', period);
  await submit(page, 'form[action="/settlement"]');
  assert.match(new URL(page.url()).pathname, /^\/settlement\/statements\/\d+$/);
}

test('an administrator settles a month, downloads the reports, closes it and computes a correction', async () => {
  // A demo without terminals: only an empty month is settled.
  const hasTerminals = await uploadDemoJuly(ui.base, ui.server.demo);
  await withPage({}, async (page) => {
    await login(page, 'admin');
    await page.click(`${NAV} a[href="/settlement"]`);
    await page.waitForURL('**/settlement');
    await checkA11y(page, 'settlement list');

    // A month without any transaction is a statement too.
    await settle(page, '2026-02');
    assert.match(await page.locator('main').innerText(), /In diesem Monat wurden keine Pakete verkauft/);
    await checkA11y(page, 'empty statement');

    await page.goto(`${ui.base}/settlement`);
    await page.fill('#f-period', '');
    await submit(page, 'form[action="/settlement"]');
    assert.equal(await page.locator('#f-period').getAttribute('aria-invalid'), 'true');
    await checkA11y(page, 'settlement form with an error');

    await settle(page, '2026-07');
    const main = await page.locator('main').innerText();
    assert.match(main, /Abrechnung berechnet/);
    assert.match(main, /Entwurf/);
    if (!hasTerminals) {
      await checkA11y(page, 'statement (no terminals in the demo)');
      return;
    }
    // 9001: 58,00 € by acceptances 2 : 1, the odd cent to the larger remainder; 9003: 25,00 € by 700/300 ‰;
    // 9002: nobody accepted it and it has no shares.
    const lines = await page.locator('#lines-caption').locator('xpath=ancestor::table').innerText();
    assert.match(lines, /Meerwasser-Hallenbad Kellenhusen \(VU 100200\)\s+58,00 €\s+Akzeptanzen\s+2 von 3\s+38,67 €/);
    assert.match(lines, /Ostsee-Bus GmbH \(VU 100300\)\s+58,00 €\s+Akzeptanzen\s+1 von 3\s+19,33 €/);
    assert.match(lines, /fester Anteil\s+70,0 %\s+17,50 €/);
    assert.match(lines, /niemand[^\n]*\s+12,00 €\s+nicht zugeordnet\s+12,00 €/);
    assert.match(lines, /Summe\s+95,00 €\s+95,00 €/);
    const tills = await page.locator('#terminals-caption').locator('xpath=ancestor::table').innerText();
    assert.match(tills, /T-BUS-01[^\n]*\s+12,00 €\s+29,00 €\s+41,00 €\s+0,00 €/);
    await checkA11y(page, 'draft statement');

    const csv = await page.evaluate(async () =>
      (await fetch(document.querySelector('main a[href$="/providers/100200.csv"]').href)).text());
    assert.match(csv, /01055021;2026-07;1;draft;100200;Meerwasser-Hallenbad Kellenhusen;;;total;;;;;56,17\r\n/);
    assert.doesNotMatch(csv, /103000000044/, 'no card number in a report');
    const pdf = await page.evaluate(async () => {
      const r = await fetch(document.querySelector('main a[href$="/providers/100300.pdf"]').href);
      return { type: r.headers.get('content-type'), head: new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5)) };
    });
    assert.deepEqual(pdf, { type: 'application/pdf', head: '%PDF-' });
    const whole = await page.evaluate(async () =>
      (await fetch(document.querySelector('main a[href$="/export.csv"]').href)).text());
    assert.match(whole, /;total;95,00;;;;95,00\r\n/);

    const statementUrl = page.url().replace(/\?.*$/, '');
    await submit(page, 'form[action$="/close"]');
    assert.match(await page.locator('main').innerText(), /Abrechnung abgeschlossen/);
    assert.equal(await page.locator('form[action$="/close"]').count(), 0, 'a closed statement has no close button');
    await checkA11y(page, 'closed statement');

    // Settling July again makes version 2, which points at the closed version 1.
    await page.goto(`${ui.base}/settlement`);
    await settle(page, '2026-07');
    assert.match(await page.locator('h1').innerText(), /Version 2/);
    assert.equal(await page.locator(`main a[href="${new URL(statementUrl).pathname}"]`).count(), 1);
    await page.goto(`${ui.base}/settlement`);
    const list = await page.locator('#statements-caption').locator('xpath=ancestor::table').innerText();
    assert.match(list, /2026-07\s+Kellenhusen \(Ostsee\)\s+2 \(berichtigt Nr\. \d+\)\s+Entwurf/);
    assert.match(list, /2026-07\s+Kellenhusen \(Ostsee\)\s+1\s+abgeschlossen/);
    await checkA11y(page, 'settlement list with statements');
    await page.goto(`${statementUrl}?lang=en`);
    assert.match(await page.locator('h1').innerText(), /Settlement 2026-07, version 1/);
    await checkA11y(page, 'closed statement in English');
  });
});

test('auditors read statements without changing them; clerks see no settlement', async () => {
  await withPage({}, async (page) => {
    await login(page, 'auditor');
    await page.click(`${NAV} a[href="/settlement"]`);
    await page.waitForURL('**/settlement');
    assert.equal(await page.locator('form[action="/settlement"]').count(), 0, 'auditors run nothing');
    await checkA11y(page, 'settlement list (auditor)');
    const first = page.locator('main table a[href^="/settlement/statements/"]').first();
    if (await first.count()) {
      await first.click();
      await page.waitForURL('**/settlement/statements/*');
      assert.equal(await page.locator('form[action$="/close"]').count(), 0, 'auditors close nothing');
      await checkA11y(page, 'statement (auditor)');
    }
  });
  await withPage({}, async (page) => {
    await login(page, 'clerk');
    assert.equal(await page.locator(`${NAV} a[href="/settlement"]`).count(), 0);
    const response = await page.goto(`${ui.base}/settlement`);
    assert.equal(response.status(), 403);
    await checkA11y(page, '403 for clerks');
  });
});
