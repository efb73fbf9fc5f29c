// Shared set-up of the browser tests: one server with the demo dataset and
// one Debian Chromium (playwright-core) per test file, pages that record
// requests to other hosts and CSP violations, axe-core checks, staff logins
// with TOTP.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { startServer, totp } from './server.mjs';

const require = createRequire(import.meta.url);
// page.addScriptTag() would insert an inline <script>, which our own CSP
// (script-src 'self') rightly blocks; evaluating the source through the
// DevTools protocol is not subject to the page's CSP.
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Registers the before/after hooks of the calling test file and returns the
// helpers; `server`, `base` (its URL) and `users` (the demo users by name)
// are filled in by the before hook. With `engine` (tests/lib/engines.mjs) the
// server stores on that engine; call it inside a describe() per engine. `env`:
// the server's environment (configuration) beyond the defaults.
export function browserSuite({ engine = null, env = {} } = {}) {
  const ui = { server: null, base: null, users: {}, browser: null, db: null };

  before(async () => {
    ui.db = engine ? engine.setup() : null;
    ui.server = await startServer({ pgUrl: ui.db?.pgUrl ?? null, env });
    ui.base = ui.server.url;
    for (const u of ui.server.demo.users) ui.users[u.username] = u;
    ui.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  after(async () => {
    await ui.browser?.close();
    const result = await ui.server?.stop();
    ui.db?.cleanup();
    // A sanitizer report or crash shows up as a non-zero exit.
    if (result && result.code !== null) assert.equal(result.code, 0, `server exit: ${ui.server.stderr()}`);
  });

  // TOTP codes: the server refuses a step it has seen for that user and
  // accepts ±1 step around its own time. Each login of the same user takes the
  // next step; never the previous one, which may expire between computing and
  // checking it. A third login within one step waits for the next.
  const lastStep = {};
  ui.nextCode = async (username) => {
    const user = ui.users[username];
    for (;;) {
      const now = Math.floor(Date.now() / 1000 / 30);
      const step = Math.max(now, (lastStep[username] ?? -Infinity) + 1);
      if (step <= now + 1) {
        lastStep[username] = step;
        return totp(user.totp_secret, step * 30);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  // A browser context that records foreign requests and CSP violations.
  // `allowOrigins` (optional, e.g. the sign-in peers' origins) are let
  // through besides the server's own; requests to any other host are still
  // blocked and fail the test. The other options go to newContext().
  ui.withPage = async ({ allowOrigins = [], ...options } = {}, fn) => {
    const context = await ui.browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 },
      ...options });
    const origin = new URL(ui.base).origin;
    const allowed = new Set([origin, ...allowOrigins.map((o) => new URL(o).origin)]);
    const foreign = [];
    const cspViolations = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (!allowed.has(new URL(url).origin)) {
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
  };

  // axe-core on the current page: no serious or critical violation.
  ui.checkA11y = async (page, label) => {
    if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE_SOURCE);
    const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const describe = (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`;
    assert.deepEqual(bad.map(describe), [], `axe violations on ${label}`);
  };

  ui.submit = async (page, formSelector) => {
    await Promise.all([page.waitForNavigation(), page.locator(`${formSelector} button[type=submit]`).first().click()]);
  };

  ui.passwordStep = async (page, username, { a11y = false } = {}) => {
    await page.goto(`${ui.base}/login`);
    if (a11y) await ui.checkA11y(page, 'login');
    await page.fill('#f-username', username);
    await page.fill('#f-password', ui.users[username].password);
    await ui.submit(page, 'form[action="/login"]');
  };

  ui.login = async (page, username, { a11y = false } = {}) => {
    await ui.passwordStep(page, username, { a11y });
    assert.equal(new URL(page.url()).pathname, '/login/totp');
    if (a11y) await ui.checkA11y(page, 'totp');
    await page.fill('#f-code', await ui.nextCode(username));
    await ui.submit(page, 'form[action="/login/totp"]');
    assert.equal(new URL(page.url()).pathname, '/dashboard');
  };

  return ui;
}
