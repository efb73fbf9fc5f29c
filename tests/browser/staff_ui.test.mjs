// Browser tests of the staff web pages: real passwerk binary with the demo
// dataset, Debian's Chromium through playwright-core, axe-core for WCAG checks.
// Every page is also checked for requests to other hosts and CSP violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite } from '../lib/browser.mjs';

// One server and one browser for this file (tests/lib/browser.mjs).
const ui = browserSuite();
const { withPage, checkA11y, submit, nextCode, passwordStep, login } = ui;

async function sessionCookie(context) {
  return (await context.cookies()).find((c) => c.name === 'pw_session');
}

test('operator signs in with password and TOTP and sees the dashboard', async () => {
  await withPage({}, async (page, context) => {
    await passwordStep(page, 'operator');
    assert.equal(new URL(page.url()).pathname, '/login/totp');
    const pending = await sessionCookie(context);
    assert.ok(pending, 'pending session cookie');
    assert.equal(pending.httpOnly, true);
    assert.equal(pending.sameSite, 'Strict');
    const code = page.locator('#f-code');
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await code.getAttribute('inputmode'), 'numeric');

    // A wrong code keeps us on the page with the error tied to the field.
    await code.fill('000000');
    await submit(page, 'form[action="/login/totp"]');
    assert.equal(new URL(page.url()).pathname, '/login/totp');
    assert.match(await page.locator('#f-code-error').innerText(), /Code ist ungültig/);
    assert.match(await code.getAttribute('aria-describedby'), /f-code-error/);
    await checkA11y(page, 'totp with error');

    await code.fill(await nextCode('operator'));
    await submit(page, 'form[action="/login/totp"]');
    assert.equal(new URL(page.url()).pathname, '/dashboard');
    // Session fixation defence: the full session has a new token.
    const full = await sessionCookie(context);
    assert.notEqual(full.value, pending.value);

    assert.match(await page.locator('h1').innerText(), /Olaf Betrieb/);
    assert.match(await page.locator('header').innerText(), /Olaf Betrieb/);
    assert.match(await page.locator('main').innerText(), /Betrieb/);
    // Operator may manage users and read the audit log.
    assert.equal(await page.locator('nav[aria-label="Hauptnavigation"] a[href="/users"]').count(), 1);
    assert.equal(await page.locator('nav[aria-label="Hauptnavigation"] a[href="/audit"]').count(), 1);
    await checkA11y(page, 'dashboard (de)');

    // Logout ends the session; protected pages then redirect to the login.
    await submit(page, 'form[action="/logout"]');
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.goto(`${ui.base}/dashboard`);
    assert.equal(new URL(page.url()).pathname, '/login');
  });
});

test('a user without TOTP enrols at first login', async () => {
  await withPage({}, async (page) => {
    await passwordStep(page, 'newclerk');
    assert.equal(new URL(page.url()).pathname, '/login/enrol');
    await checkA11y(page, 'enrol');
    const qr = page.locator('main svg[role="img"]');
    assert.equal(await qr.count(), 1);
    assert.ok((await qr.getAttribute('aria-label')).length > 0);
    const shown = await page.locator('#totp-secret').innerText();
    assert.match(shown, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/, 'secret in groups of four');
    const secret = shown.replace(/\s+/g, '');

    // The page shows the same secret again on reload (a scanned code stays valid).
    await page.reload();
    assert.equal((await page.locator('#totp-secret').innerText()).replace(/\s+/g, ''), secret);

    await page.fill('#f-code', '12345');
    await submit(page, 'form[action="/login/enrol"]');
    assert.equal(new URL(page.url()).pathname, '/login/enrol');
    assert.match(await page.locator('#f-code-error').innerText(), /6 Ziffern/);
    await checkA11y(page, 'enrol with error');

    ui.users.newclerk.totp_secret = secret;
    await page.fill('#f-code', await nextCode('newclerk'));
    await submit(page, 'form[action="/login/enrol"]');
    assert.equal(new URL(page.url()).pathname, '/dashboard');
    assert.match(await page.locator('h1').innerText(), /Nina Neu/);
    // A clerk has neither user management nor the audit log.
    assert.equal(await page.locator('a[href="/users"]').count(), 0);
    assert.equal(await page.locator('a[href="/audit"]').count(), 0);
    await page.goto(`${ui.base}/users`);
    assert.match(await page.locator('h1').innerText(), /Zugriff verweigert/);
    await checkA11y(page, '403 page');
  });
});

const NEW_USER = { username: 'erika.muster', name: 'Erika Muster', password: 'Kurkarte-Ostsee-2026' };

test('municipality admin creates a user, sees it and disables it', async () => {
  await withPage({}, async (page) => {
    await login(page, 'admin');
    await page.click('nav[aria-label="Hauptnavigation"] a[href="/users"]');
    await page.waitForURL('**/users');
    await checkA11y(page, 'users');
    await page.click('main a[href="/users/new"]');
    await page.waitForURL('**/users/new');
    await checkA11y(page, 'new user');

    // A wrong field: the error sits next to that field, the other values stay.
    await page.fill('#f-username', 'Erika Muster!');
    await page.fill('#f-display_name', NEW_USER.name);
    await page.selectOption('#f-role', 'clerk');
    await page.check('#f-department_' + ui.server.demo.department.id);
    await page.fill('#f-password', NEW_USER.password);
    await submit(page, 'form[action="/users"]');
    assert.equal(new URL(page.url()).pathname, '/users');
    const username = page.locator('#f-username');
    assert.equal(await username.getAttribute('aria-invalid'), 'true');
    assert.match(await username.getAttribute('aria-describedby'), /f-username-error/);
    assert.match(await page.locator('#f-username-error').innerText(), /Benutzername/);
    assert.equal(await page.locator('[id$="-error"]').count(), 1, 'only the wrong field is marked');
    assert.equal(await page.inputValue('#f-display_name'), NEW_USER.name);
    assert.equal(await page.inputValue('#f-role'), 'clerk');
    assert.equal(await page.inputValue('#f-password'), '', 'the password is never sent back');
    // The summary links to the field.
    assert.equal(await page.locator('[role="alert"] a[href="#f-username"]').count(), 1);
    await checkA11y(page, 'new user with errors');

    await page.fill('#f-username', NEW_USER.username);
    await page.fill('#f-password', NEW_USER.password);
    await submit(page, 'form[action="/users"]');
    assert.equal(new URL(page.url()).pathname, '/users');
    assert.match(await page.locator('main [role="status"]').innerText(), /erika\.muster/);
    const row = page.locator('tbody tr', { hasText: NEW_USER.username });
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /Erika Muster/);
    assert.match(await row.innerText(), /aktiv/);
    await checkA11y(page, 'users after create');

    await Promise.all([page.waitForNavigation(),
      row.getByRole('button', { name: `${NEW_USER.username} sperren` }).click()]);
    assert.match(await page.locator('main [role="status"]').innerText(), /gesperrt/);
    const disabled = page.locator('tbody tr', { hasText: NEW_USER.username });
    assert.match(await disabled.innerText(), /gesperrt/);
    assert.equal(await disabled.getByRole('button', { name: `${NEW_USER.username} entsperren` }).count(), 1);

    // A duplicate username is an error at the username field too.
    await page.goto(`${ui.base}/users/new`);
    await page.fill('#f-username', 'clerk');
    await page.fill('#f-display_name', 'Noch ein Klaus');
    await page.selectOption('#f-role', 'clerk');
    await page.fill('#f-password', NEW_USER.password);
    await submit(page, 'form[action="/users"]');
    assert.match(await page.locator('#f-username-error').innerText(), /bereits vergeben/);
  });
});

test('auditor filters the audit log by action and sees the create entry', async () => {
  await withPage({}, async (page) => {
    await login(page, 'auditor');
    await page.click('nav[aria-label="Hauptnavigation"] a[href="/audit"]');
    await page.waitForURL('**/audit');
    await checkA11y(page, 'audit');
    await page.fill('#f-action', 'user.');
    await submit(page, 'form[action="/audit"]');
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('action'), 'user.');
    const actions = await page.locator('tbody tr td:nth-child(4)').allInnerTexts();
    assert.ok(actions.length > 0, 'some entries');
    for (const a of actions) assert.ok(a.startsWith('user.'), `only user.* entries, got ${a}`);
    const create = page.locator('tbody tr', { hasText: 'user.create' }).filter({ hasText: NEW_USER.username });
    assert.equal(await create.count(), 1, 'the entry for the user the admin created');
    assert.equal(await page.locator('tbody tr', { hasText: 'user.disable' }).count() >= 1, true);
    await checkA11y(page, 'audit filtered');

    // Dates: today's entries are inside, a range in the past is empty.
    await page.fill('#f-from', '2000-01-01');
    await page.fill('#f-to', '2000-01-31');
    await submit(page, 'form[action="/audit"]');
    assert.equal(await page.locator('tbody tr').count(), 0);
    assert.match(await page.locator('main').innerText(), /Keine Einträge/);
  });
});

test('no serious or critical axe violations, in German and English', async () => {
  await withPage({}, async (page) => {
    for (const lang of ['de', 'en']) {
      await page.goto(`${ui.base}/login?lang=${lang}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      await checkA11y(page, `login (${lang})`);
    }
    // Wrong password: one generic message, username kept, password not.
    await page.goto(`${ui.base}/login?lang=de`);
    await page.fill('#f-username', 'operator');
    await page.fill('#f-password', 'wrong-password-123');
    await submit(page, 'form[action="/login"]');
    assert.match(await page.locator('[role="alert"]').innerText(), /Benutzername oder Passwort falsch/);
    assert.equal(await page.inputValue('#f-username'), 'operator');
    assert.equal(await page.inputValue('#f-password'), '');
    await checkA11y(page, 'login with error');

    await login(page, 'operator', { a11y: true });
    for (const lang of ['de', 'en']) {
      await page.goto(`${ui.base}/dashboard?lang=${lang}`);
      await checkA11y(page, `dashboard (${lang})`);
      await page.goto(`${ui.base}/users?lang=${lang}`);
      await checkA11y(page, `users (${lang})`);
      await page.goto(`${ui.base}/audit?lang=${lang}`);
      await checkA11y(page, `audit (${lang})`);
      await page.goto(`${ui.base}/departments?lang=${lang}`);
      await checkA11y(page, `departments (${lang})`);
    }
    // A phone-sized viewport: nothing needs horizontal scrolling of the page.
    await page.setViewportSize({ width: 375, height: 740 });
    for (const path of ['/dashboard', '/users', '/users/new', '/audit', '/departments']) {
      await page.goto(`${ui.base}${path}?lang=de`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} fits a phone (overflow ${overflow}px)`);
      await checkA11y(page, `${path} on a phone`);
    }
  });
});

test('an administrator creates a department and sets who belongs to it', async () => {
  await withPage({}, async (page) => {
    await login(page, 'admin');
    await page.click('nav[aria-label="Hauptnavigation"] a[href="/departments"]');
    await page.waitForURL('**/departments');
    await checkA11y(page, 'departments');
    const main = page.locator('main');
    for (const office of ui.server.demo.departments) assert.match(await main.innerText(), new RegExp(office.name));

    // A name is required; the error sits at the field.
    await submit(page, 'form[action="/departments"]');
    assert.match(await page.locator('#f-name-error').innerText(), /Namen/);
    await checkA11y(page, 'departments with error');
    await page.fill('#f-name', 'Bürgerbüro');
    await submit(page, 'form[action="/departments"]');
    assert.equal(new URL(page.url()).pathname, '/departments');
    assert.match(await page.locator('[role="status"], .kern-alert').first().innerText(), /angelegt/);
    assert.match(await main.innerText(), /Bürgerbüro/);

    // The volunteer office's clerk also joins the new department.
    const volunteer = ui.server.demo.departments.find((d) => d.clerk === 'ehrenamt');
    await page.click(`main a[aria-label*="${volunteer.clerk}"]`);
    await checkA11y(page, 'memberships');
    assert.equal(await page.isChecked(`#f-department_${volunteer.id}`), true);
    await page.getByLabel('Bürgerbüro').check();
    await submit(page, 'form[action$="/departments"]');
    assert.equal(new URL(page.url()).pathname, '/departments');
    assert.match(await main.innerText(), /Emil Ehrenamt/);
  });
});

test('sign-in works with the keyboard only', async () => {
  await withPage({}, async (page) => {
    await page.goto(`${ui.base}/login`);
    // The first Tab reaches the skip link, which is visible when focused.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), '#main');
    const box = await page.locator('.pw-skip-link').boundingBox();
    assert.ok(box && box.y >= 0, 'skip link visible on focus');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');

    async function tabTo(id) {
      for (let i = 0; i < 15; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(() => document.activeElement.id) === id) return;
      }
      assert.fail(`Tab never reached #${id}`);
    }
    await tabTo('f-username');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'focus is visible');
    await page.keyboard.type('clerk');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'f-password');
    await page.keyboard.type(ui.users.clerk.password);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(new URL(page.url()).pathname, '/login/totp');

    await tabTo('f-code');
    await page.keyboard.type(await nextCode('clerk'));
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(new URL(page.url()).pathname, '/dashboard');
    assert.match(await page.locator('h1').innerText(), /Klaus Sachbearbeitung/);

    // Logout by keyboard too.
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      const label = await page.evaluate(() => document.activeElement.textContent.trim());
      if (label === 'Abmelden') break;
    }
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(new URL(page.url()).pathname, '/login');
  });
});

test('the English switch shows English text and keeps the page', async () => {
  await withPage({}, async (page, context) => {
    await page.goto(`${ui.base}/login`);
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    assert.equal(await page.locator('h1').innerText(), 'Anmelden');
    await Promise.all([page.waitForNavigation(), page.click('a[hreflang="en"]')]);
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.locator('h1').innerText(), 'Sign in');
    assert.equal(await page.locator('label[for="f-password"]').innerText(), 'Password');
    const cookie = (await context.cookies()).find((c) => c.name === 'pw_lang');
    assert.equal(cookie?.value, 'en');

    // The choice is remembered across the sign-in.
    await page.fill('#f-username', 'operator');
    await page.fill('#f-password', ui.users.operator.password);
    await submit(page, 'form[action="/login"]');
    assert.equal(await page.locator('h1').innerText(), 'Enter verification code');
    await page.fill('#f-code', await nextCode('operator'));
    await submit(page, 'form[action="/login/totp"]');
    assert.match(await page.locator('h1').innerText(), /^Hello, Olaf Betrieb/);
    assert.match(await page.locator('main').innerText(), /Your account/);
    assert.match(await page.locator('header').innerText(), /Sign out/);

    // Back to German on the same page.
    await page.goto(`${ui.base}/audit?action=user.`);
    await Promise.all([page.waitForNavigation(), page.click('a[hreflang="de"]')]);
    const url = new URL(page.url());
    assert.equal(url.pathname, '/audit');
    assert.equal(url.searchParams.get('action'), 'user.');
    assert.equal(await page.locator('h1').innerText(), 'Prüfprotokoll');
  });
});
