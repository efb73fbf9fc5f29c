// Browser tests of the card, partner and alert pages of the staff web UI:
// real passwerk binary with the demo dataset, Debian's Chromium through
// playwright-core, axe-core for WCAG checks, no foreign requests, no CSP
// violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite } from '../lib/browser.mjs';

// One server and one browser for this file (tests/lib/browser.mjs).
const ui = browserSuite();
const { withPage, checkA11y, submit, login } = ui;

const NAV = 'nav[aria-label="Hauptnavigation"]';

test('clerk issues a card, finds it and blocks it with a reason', async () => {
  await withPage({}, async (page) => {
    await login(page, 'clerk');
    assert.equal(await page.locator(`${NAV} a[href="/partners"]`).count(), 0, 'clerks manage no partners');
    assert.match(await page.locator('main').innerText(), /Karten verwalten/);
    await page.click(`${NAV} a[href="/cards"]`);
    await page.waitForURL('**/cards');
    await checkA11y(page, 'cards');
    await page.click('main a[href="/cards/new"]');
    await page.waitForURL('**/cards/new');
    await checkA11y(page, 'new card');

    // Missing family name and a birth date in the future: errors at those fields.
    await page.selectOption('#f-scheme', { label: 'Sozialpass Kellenhusen' });
    await page.fill('#f-given_name', 'Erika');
    await page.fill('#f-birth_date', '2999-01-01');
    await page.fill('#f-city', 'Kellenhusen');
    await submit(page, 'form[action="/cards"]');
    assert.equal(new URL(page.url()).pathname, '/cards');
    const family = page.locator('#f-family_name');
    assert.equal(await family.getAttribute('aria-invalid'), 'true');
    assert.match(await family.getAttribute('aria-describedby'), /f-family_name-error/);
    assert.match(await page.locator('#f-family_name-error').innerText(), /Familiennamen/);
    assert.equal(await page.locator('[role="alert"] a[href="#f-family_name"]').count(), 1);
    assert.equal(await page.inputValue('#f-given_name'), 'Erika');
    assert.equal(await page.inputValue('#f-city'), 'Kellenhusen');
    await checkA11y(page, 'new card with errors');

    // The service's rule for the birth date shows at its field too.
    await page.fill('#f-family_name', 'Mustermann');
    await submit(page, 'form[action="/cards"]');
    assert.match(await page.locator('#f-birth_date-error').innerText(), /Vergangenheit/);
    assert.equal(await page.locator('[id$="-error"]').count(), 1, 'only the wrong field is marked');

    await page.fill('#f-birth_date', '1980-04-12');
    await page.fill('#f-street', 'Strandstraße 1');
    await page.fill('#f-postal_code', '23738');
    await submit(page, 'form[action="/cards"]');
    const path = new URL(page.url()).pathname;
    assert.match(path, /^\/cards\/\d{12}$/);
    const number = path.slice('/cards/'.length);
    const grouped = `${number.slice(0, 4)} ${number.slice(4, 8)} ${number.slice(8)}`;
    assert.match(await page.locator('main [role="status"]').innerText(), /ausgestellt/);
    assert.match(await page.locator('h1').innerText(), new RegExp(grouped));
    const data = await page.locator('#card-data').innerText();
    assert.match(data, /aktiv/);
    assert.match(data, /Sozialpass|sozialpass/i);
    const main = await page.locator('main').innerText();
    assert.match(main, /Mustermann/);
    assert.match(main, /12\.04\.1980/);
    assert.match(main, /23738 Kellenhusen/);
    assert.equal(await page.locator('table caption').count(), 1);
    assert.match(await page.locator('tbody').innerText(), /ausgestellt/);
    await checkA11y(page, 'card page');

    // Blocking needs a reason; the error sits at the reason field.
    await submit(page, `form[action="/cards/${number}/block"]`);
    assert.match(await page.locator('#f-block_reason-error').innerText(), /Grund/);
    assert.match(await page.locator('#f-block_reason').getAttribute('aria-describedby'), /f-block_reason-error/);
    await checkA11y(page, 'card page with error');
    await page.fill('#f-block_reason', 'Verlust gemeldet');
    await submit(page, `form[action="/cards/${number}/block"]`);
    assert.equal(new URL(page.url()).pathname, `/cards/${number}`);
    assert.match(await page.locator('main [role="status"]').innerText(), /gesperrt/);
    const blocked = await page.locator('#card-data').innerText();
    assert.match(blocked, /gesperrt/);
    assert.match(blocked, /Grund: Verlust gemeldet/);
    assert.match(await page.locator('tbody').innerText(), /gesperrt.*Verlust gemeldet/s);
    assert.equal(await page.locator(`form[action="/cards/${number}/unblock"]`).count(), 1);
    assert.equal(await page.locator(`form[action="/cards/${number}/block"]`).count(), 0);

    // Unblock, then replace: the new card takes over, the old one points to it.
    await page.fill('#f-unblock_reason', 'Karte wiedergefunden');
    await submit(page, `form[action="/cards/${number}/unblock"]`);
    assert.match(await page.locator('#card-data').innerText(), /aktiv/);
    await page.fill('#f-replace_reason', 'beschädigt');
    await submit(page, `form[action="/cards/${number}/replace"]`);
    const replacement = new URL(page.url()).pathname.slice('/cards/'.length);
    assert.match(replacement, /^\d{12}$/);
    assert.notEqual(replacement, number);
    assert.match(await page.locator('main [role="status"]').innerText(), /Ersatzkarte/);
    await page.goto(`${ui.base}/cards/${number}`);
    assert.match(await page.locator('#card-data').innerText(), /ersetzt/);
    assert.equal(await page.locator(`#card-data a[href="/cards/${replacement}"]`).count(), 1);

    // Lookup by number: grouped input works, unknown and malformed numbers are errors at the field.
    await page.goto(`${ui.base}/cards`);
    await page.fill('#f-number', `${replacement.slice(0, 4)} ${replacement.slice(4, 8)} ${replacement.slice(8)}`);
    await submit(page, 'form[action="/cards/lookup"]');
    assert.equal(new URL(page.url()).pathname, `/cards/${replacement}`);
    await page.goto(`${ui.base}/cards`);
    await page.fill('#f-number', '1010 0099 9991');
    await submit(page, 'form[action="/cards/lookup"]');
    assert.match(await page.locator('#f-number-error').innerText(), /keine Karte/);
    await checkA11y(page, 'card lookup not found');
    await page.fill('#f-number', '1234 5678 9010');
    await submit(page, 'form[action="/cards/lookup"]');
    assert.match(await page.locator('#f-number-error').innerText(), /keine gültige Kartennummer/);
  });
});

test("the volunteer office's clerk sees and issues only the volunteer office's cards", async () => {
  await withPage({}, async (page) => {
    const social = ui.server.demo.departments.find((d) => d.clerk === 'sozialamt');
    const volunteer = ui.server.demo.departments.find((d) => d.clerk === 'ehrenamt');
    await login(page, 'ehrenamt');
    assert.match(await page.locator('main').innerText(), /Ehrenamtsbüro/, 'the dashboard names the department');
    assert.equal(await page.locator(`${NAV} a[href="/departments"]`).count(), 0, 'clerks manage no departments');
    // Only the own department's scheme is offered for issuing.
    await page.goto(`${ui.base}/cards/new`);
    const offered = await page.locator('#f-scheme option').allInnerTexts();
    assert.deepEqual(offered.filter((t) => t.trim() !== ''), ['Ehrenamtskarte Kellenhusen']);
    // A social-pass card does not exist for this clerk; their own card does.
    const foreign = await page.goto(`${ui.base}/cards/${social.cards[0]}`);
    assert.equal(foreign.status(), 404);
    const own = await page.goto(`${ui.base}/cards/${volunteer.cards[0]}`);
    assert.equal(own.status(), 200);
    assert.match(await page.locator('main').innerText(), /Hansen/);
    await checkA11y(page, 'volunteer card');
    await page.goto(`${ui.base}/departments`);
    assert.equal(await page.locator('h1').count(), 1);
    assert.match(await page.locator('h1').innerText(), /Zugriff verweigert/);
  });
});

test('admin creates a partner and a server key whose secret is shown once', async () => {
  await withPage({}, async (page) => {
    await login(page, 'admin');
    await page.click(`${NAV} a[href="/partners"]`);
    await page.waitForURL('**/partners');
    await checkA11y(page, 'partners');
    // Keys are listed by their prefix, the 8 characters after "pwps_" / "pwpk_".
    const demoPrefix = ui.server.demo.partner_check.server_key.slice(5, 13);
    assert.match(await page.locator('main').innerText(), new RegExp(demoPrefix));

    // A partner without schemes and with a bad origin: both fields marked.
    await page.fill('#f-name', 'Musikschule Kellenhusen');
    await page.fill('#f-origins', 'https://musik.example.de\nnot an origin');
    await submit(page, 'form[action="/partners"]');
    assert.match(await page.locator('#f-schemes-error').innerText(), /Kartenprogramm/);
    assert.match(await page.locator('#f-origins-error').innerText(), /https:\/\/host/);
    assert.equal(await page.inputValue('#f-name'), 'Musikschule Kellenhusen');
    await checkA11y(page, 'partners with errors');
    await page.locator('#f-schemes input[type=checkbox]').first().check();
    await page.fill('#f-origins', 'https://musik.example.de/\n');
    await submit(page, 'form[action="/partners"]');
    assert.match(await page.locator('main [role="status"]').innerText(), /angelegt/);
    const partner = page.locator('section.pw-partner', { hasText: 'Musikschule Kellenhusen' });
    assert.equal(await partner.count(), 1);
    assert.match(await partner.innerText(), /https:\/\/musik\.example\.de/);
    assert.match(await partner.innerText(), /Noch keine Schlüssel/);

    await Promise.all([page.waitForNavigation(),
      partner.getByRole('button', { name: 'Server-Schlüssel erzeugen für Musikschule Kellenhusen' }).click()]);
    const secret = (await page.locator('#partner-secret').innerText()).trim();
    assert.match(secret, /^pwps_/);
    assert.match(await page.locator('main .kern-alert--warning').innerText(), /nur dieses eine Mal|nicht noch einmal/);
    await checkA11y(page, 'new key');

    // Back on the list: the key is there by prefix, the secret nowhere.
    await page.click('main a[href="/partners"]');
    await page.waitForURL('**/partners');
    assert.ok(!(await page.content()).includes(secret), 'the secret is shown only once');
    const row = page.locator('section.pw-partner', { hasText: 'Musikschule Kellenhusen' }).locator('tbody tr');
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /Server-Schlüssel/);
    assert.match(await row.innerText(), /aktiv/);
    const prefix = (await row.locator('th code').innerText()).trim();
    assert.equal(secret.slice(5, 13), prefix, 'the prefix is the start of the secret');
    await checkA11y(page, 'partners with a new key');

    await Promise.all([page.waitForNavigation(),
      row.getByRole('button', { name: `Schlüssel ${prefix} widerrufen` }).click()]);
    assert.match(await page.locator('main [role="status"]').innerText(), /widerrufen/);
    const revoked = page.locator('section.pw-partner', { hasText: 'Musikschule Kellenhusen' }).locator('tbody tr');
    assert.match(await revoked.innerText(), /widerrufen/);
    assert.equal(await revoked.getByRole('button').count(), 0);
  });
});

test('wrong-name checks raise an alert on the dashboard that "Erledigt" removes', async () => {
  const { server_key: key, cards } = ui.server.demo.partner_check;
  const card = cards.find((c) => c.expect.valid).card_number;
  for (let i = 0; i < 5; i++) {
    const response = await fetch(`${ui.base}/api/v1/checks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ card_number: card, name: 'Xyz' }),
    });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).valid, false);
  }
  await withPage({}, async (page) => {
    await login(page, 'admin');
    const alerts = page.locator('#alerts-heading + ul > li');
    assert.equal(await alerts.count(), 1);
    const text = await alerts.innerText();
    assert.match(text, /Karte für Partnerprüfungen gesperrt/);
    assert.match(text, /\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}/, 'Berlin local time');
    assert.equal(await alerts.locator('.kern-alert--warning').count(), 1);
    await checkA11y(page, 'dashboard with alert');
    await Promise.all([page.waitForNavigation(), alerts.getByRole('button', { name: /^Erledigt/ }).click()]);
    assert.equal(new URL(page.url()).pathname, '/dashboard');
    assert.match(await page.locator('main [role="status"]').innerText(), /erledigt/);
    assert.equal(await page.locator('#alerts-heading + ul > li').count(), 0);
    assert.match(await page.locator('main').innerText(), /Keine offenen Warnungen/);
  });
  // The clerk sees no alerts at all.
  await withPage({}, async (page) => {
    await login(page, 'clerk');
    assert.equal(await page.locator('#alerts-heading').count(), 0);
  });
});

test('no serious or critical axe violations on the new pages, in German and English', async () => {
  const card = ui.server.demo.partner_check.cards[0].card_number;
  await withPage({}, async (page) => {
    await login(page, 'operator');
    const paths = ['/dashboard', '/cards', '/cards/new', `/cards/${card}`, '/partners'];
    for (const lang of ['de', 'en']) {
      for (const path of paths) {
        await page.goto(`${ui.base}${path}?lang=${lang}`);
        assert.equal(await page.getAttribute('html', 'lang'), lang);
        await checkA11y(page, `${path} (${lang})`);
      }
    }
    await page.goto(`${ui.base}/cards?lang=en`);
    assert.equal(await page.locator('h1').innerText(), 'Cards');
    assert.equal(await page.locator(`${NAV.replace('Hauptnavigation', 'Main navigation')} a[href="/partners"]`).count(), 1);
    await page.setViewportSize({ width: 375, height: 740 });
    for (const path of paths) {
      await page.goto(`${ui.base}${path}?lang=de`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} fits a phone (overflow ${overflow}px)`);
      await checkA11y(page, `${path} on a phone`);
    }
  });
});
