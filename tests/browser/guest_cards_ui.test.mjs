// Browser tests of the guest-card pages: a landlord registers guests on a
// phone-sized screen, staff read the spa-tax statistics. Real binary with the
// demo dataset, Debian's Chromium, axe-core, no foreign requests, no CSP
// violations. Helpers are copied from staff_ui.test.mjs on purpose (each file
// starts its own server and browser).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { startServer, totp } from '../lib/server.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server;
let browser;
let base;
const users = {};

before(async () => {
  server = await startServer();
  base = server.url;
  for (const u of server.demo.users) users[u.username] = u;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  const result = await server?.stop();
  if (result && result.code !== null) assert.equal(result.code, 0, `server exit: ${server.stderr()}`);
});

// One TOTP step per user and login (the server refuses a replayed step).
const lastStep = {};
async function nextCode(username) {
  const user = users[username];
  for (;;) {
    const now = Math.floor(Date.now() / 1000 / 30);
    const step = Math.max(now, (lastStep[username] ?? -Infinity) + 1);
    if (step <= now + 1) {
      lastStep[username] = step;
      return totp(user.totp_secret, step * 30);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function withPage(options, fn) {
  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 }, ...options });
  const origin = new URL(base).origin;
  const foreign = [];
  const cspViolations = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin !== origin) {
      foreign.push(url);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  page.on('pageerror', (error) => cspViolations.push(`page error: ${error.message}`));
  try {
    await fn(page, context);
  } finally {
    await context.close();
  }
  assert.deepEqual(foreign, [], 'no request may go to another host');
  assert.deepEqual(cspViolations, [], 'no CSP violations or script errors');
}

async function checkA11y(page, label) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const describe = (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`;
  assert.deepEqual(bad.map(describe), [], `axe violations on ${label}`);
}

async function submit(page, formSelector) {
  await Promise.all([page.waitForNavigation(), page.locator(`${formSelector} button[type=submit]`).first().click()]);
}

async function login(page, username) {
  await page.goto(`${base}/login`);
  await page.fill('#f-username', username);
  await page.fill('#f-password', users[username].password);
  await submit(page, 'form[action="/login"]');
  assert.equal(new URL(page.url()).pathname, '/login/totp');
  await page.fill('#f-code', await nextCode(username));
  await submit(page, 'form[action="/login/totp"]');
  assert.equal(new URL(page.url()).pathname, '/dashboard');
}

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
    await page.goto(`${base}/registrations`);
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
    await page.goto(`${base}/registrations`);
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
