// Browser tests of the settlement pages (docs/settlement.md): two demo
// terminals upload a July through the terminal API, an administrator settles
// the month, downloads a provider's CSV and PDF, closes the statement and
// computes a correction; an auditor reads, a clerk is kept out. Real binary
// with the demo dataset, Debian's Chromium, axe-core, no foreign requests, no
// CSP violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { browserSuite } from '../lib/browser.mjs';

const ui = browserSuite();
const { withPage, checkA11y, submit, login } = ui;

const NAV = 'nav[aria-label="Hauptnavigation"]';
const CARD = { card_number: '103000000044', circulation_counter: 1, municipality_number: '01055021', issuing_office: '0' };
// Ed25519 private keys in PKCS#8 are this prefix and the 32-byte seed the key file holds.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

// Logs a demo terminal in (docs/terminal-protocol.md §1) and returns an uploader.
async function terminal(t) {
  const [magic, tid, seed] = readFileSync(t.key_file, 'utf8').trim().split('\n');
  assert.equal(magic, 'passwerk-terminal-key-v1');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, Buffer.from(seed, 'base64')]), format: 'der',
    type: 'pkcs8' });
  const post = async (path, body, session) => {
    const response = await fetch(`${ui.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(session ? { authorization: `Bearer ${session}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    assert.equal(response.status, 200, `${path}: ${text}`);
    return JSON.parse(text);
  };
  const { challenge } = await post('/api/terminal/v1/challenge', { tid });
  const signature = sign(null, Buffer.from(`passwerk-terminal-login-v1\n${tid}\n${challenge}`), key).toString('base64');
  const { session } = await post('/api/terminal/v1/login', { tid, challenge, signature });
  let booking = 0;
  const base = (kind, at) => ({ booking_number: ++booking, at, vu_number: t.provider, operator: '1', kind });
  return {
    sell: (at, packageNumber, price, method) => ({
      ...base('purchase', at),
      sales: [{ position: 1, ...CARD, package_number: packageNumber, price_cents: price, written: true }],
      payment: { method, amount_cents: price },
    }),
    accept: (at, service, packageNumber) => ({
      ...base('acceptance', at), consumption: { ...CARD, service_number: service, package_number: packageNumber },
    }),
    async upload(transactions) {
      const { results } = await post('/api/terminal/v1/transactions', { protocol: 1, transactions }, session);
      // The card is not in service: accepted, with the conflict unknown_card. Settlement counts it all the same.
      for (const r of results) assert.equal(r.result, 'accepted', JSON.stringify(r));
    },
  };
}

// July 2026: the pool (100200) and the bus (100300) sell and accept. False
// for a demo without terminals: then only an empty month is settled.
async function uploadJuly() {
  const terminals = ui.server.demo.terminals ?? [];
  const pool = terminals.find((t) => t.provider === '100200');
  const bus = terminals.find((t) => t.provider === '100300');
  if (!pool || !bus) return false;
  const p = await terminal(pool);
  await p.upload([
    p.sell('2026-07-02T10:00:00', '9001', 2900, 'cash'),
    p.sell('2026-07-03T10:00:00', '9003', 2500, 'card'),
    p.accept('2026-07-02T11:00:00', '201', '9001'),
    p.accept('2026-07-04T11:00:00', '202', '9001'),
  ]);
  const b = await terminal(bus);
  await b.upload([
    b.sell('2026-07-05T09:00:00', '9001', 2900, 'card'),
    b.sell('2026-07-06T09:00:00', '9002', 1200, 'cash'),
    b.accept('2026-07-05T09:30:00', '301', '9001'),
  ]);
  return true;
}

async function settle(page, period) {
  await page.fill('#f-period', period);
  await submit(page, 'form[action="/settlement"]');
  assert.match(new URL(page.url()).pathname, /^\/settlement\/statements\/\d+$/);
}

test('an administrator settles a month, downloads the reports, closes it and computes a correction', async () => {
  const hasTerminals = await uploadJuly();
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
