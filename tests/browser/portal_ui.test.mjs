// Browser tests of the citizen portal on every engine (SQLite, and PostgreSQL
// under scripts/with-postgres): its pages pass axe-core in German, English and
// on a phone; the test sign-in with its banner, sessions and "sign out
// everywhere"; BundID (the SAML test IdP, tests/peers/saml_idp.py) at every
// STORK-QAA level; the step-up to a higher level; the municipality's OpenID
// provider (tests/peers/oidc_op.mjs); deleting the account; and signing in
// without JavaScript. Real binary, real protocol peers, Debian's Chromium.
// Requests may go to the server and the two peers only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { browserSuite } from '../lib/browser.mjs';
import { engines } from '../lib/engines.mjs';
import { startOidcProvider, startSamlIdp } from '../lib/peers.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const SIGN_IN_COOKIE = 'pw_citizen_signin';
const STORK = (n) => `STORK-QAA-Level-${n}`;

// One SAML IdP and one OpenID provider for the whole file.
const peers = { idp: null, op: null };
before(async () => {
  [peers.idp, peers.op] = await Promise.all([startSamlIdp(), startOidcProvider()]);
});
after(async () => {
  await Promise.all([peers.idp?.stop(), peers.op?.stop()]);
});

for (const engine of engines()) {
  describe(engine.name, () => {
    // Filled in once the peers run, before browserSuite's hook starts the server.
    const env = { PASSWERK_PORTAL_TEST_LOGIN: 'true' };
    const oidcClient = { client_id: `passwerk-${engine.name}`, client_secret: randomBytes(24).toString('hex') };
    before(() => {
      Object.assign(env, {
        PASSWERK_SAML_IDP_METADATA_FILE: peers.idp.metadataPath,
        PASSWERK_OIDC_ISSUER: peers.op.issuer,
        PASSWERK_OIDC_CLIENT_ID: oidcClient.client_id,
        PASSWERK_OIDC_CLIENT_SECRET: oidcClient.client_secret,
      });
    });
    const ui = browserSuite({ engine, env });
    const { checkA11y } = ui;

    // The server is up: register it at both peers.
    before(async () => {
      const metadata = await fetch(`${ui.base}/portal/saml/metadata`);
      assert.equal(metadata.status, 200);
      assert.match(metadata.headers.get('content-type'), /samlmetadata\+xml/);
      await peers.idp.registerSp(await metadata.text());
      await peers.op.registerClient({ ...oidcClient, redirect_uris: [`${ui.base}/portal/oidc/callback`] });
    });

    // A page whose context may reach the two peers besides the server; any
    // other host still fails the test (tests/lib/browser.mjs).
    const withPage = (options, fn) =>
      ui.withPage({ allowOrigins: [peers.idp.url, peers.op.url], ...options }, fn);

    const at = (path) => (url) => url.origin === ui.base && url.pathname === path;
    const loginUrl = (level, returnTo = '/portal') =>
      `${ui.base}/portal/login?level=${level}&return_to=${encodeURIComponent(returnTo)}`;

    // /api/portal/v1/me with the context's cookies.
    async function me(page) {
      const res = await page.request.get(`${ui.base}/api/portal/v1/me`);
      return { status: res.status(), body: res.status() === 200 ? await res.json() : null };
    }

    async function testSignIn(page, name, level = 'low', returnTo = '/portal') {
      await page.goto(loginUrl(level, returnTo));
      await page.fill('#f-name', name);
      await page.selectOption('#f-level', level);
      await Promise.all([page.waitForURL(at(returnTo)), page.click('#login-test')]);
    }

    // BundID from our login page through the IdP's pages and back. Without
    // JavaScript the visible buttons carry the forms. Returns the level the
    // IdP preselected (the class our AuthnRequest asked for).
    async function bundId(page, stork, { level = 'low', returnTo = '/portal', name = null, noJs = false,
      startAtLogin = true } = {}) {
      if (startAtLogin) await page.goto(loginUrl(level, returnTo));
      assert.equal(new URL(page.url()).pathname, '/portal/login');
      await page.click('#login-saml');
      if (noJs) {
        await page.waitForURL(at('/portal/login/saml'));
        await page.click('#saml-continue');
      }
      await page.waitForURL(`${peers.idp.url}/sso`);
      const preselected = await page.inputValue('#level');
      await page.selectOption('#level', stork);
      if (name) await page.fill('#name', name);
      await page.click('#login');
      if (noJs) {
        await page.waitForURL(`${peers.idp.url}/sso/login`);
        await page.click('#continue');
      }
      await page.waitForURL(at(returnTo));
      return preselected;
    }

    // Through BundID up to the IdP's login page; there the browser loses its
    // sign-in binding cookie (as when the IdP's answer reaches another
    // browser), and the IdP's answer is refused at our ACS. JavaScript stays
    // on (axe needs it), so the IdP's answer submits itself.
    async function refusedSignIn(page, lang) {
      await page.goto(`${ui.base}/portal/login?lang=${lang}`);
      await page.click('#login-saml');
      await page.waitForURL(`${peers.idp.url}/sso`);
      await page.context().clearCookies({ name: SIGN_IN_COOKIE });
      const acs = page.waitForResponse((r) => new URL(r.url()).pathname === '/portal/saml/acs');
      await page.click('#login');
      await page.waitForURL(at('/portal/saml/acs'));
      const response = await acs;
      assert.equal(response.status(), 401, 'the answer is refused');
      return response;
    }

    test('portal pages pass axe in German and English, signed out, signed in, stepping up and refused', async () => {
      const texts = {
        de: { login: /Anmelden/, high: /„hoch“/, stepUp: /Höheres Vertrauensniveau nötig/,
          refused: /Anmeldung nicht möglich/, why: /in einem anderen Browser begonnen/ },
        en: { login: /Sign in/, high: /“high”/, stepUp: /A higher assurance level is needed/,
          refused: /Sign-in failed/, why: /started in another browser/ },
      };
      for (const lang of ['de', 'en']) {
        const t = texts[lang];
        await withPage({}, async (page) => {
          const check = async (path, status, label = path) => {
            const response = await page.goto(`${ui.base}${path}`);
            assert.equal(response.status(), status, `${path} status`);
            assert.equal(await page.getAttribute('html', 'lang'), lang, `${path} language`);
            await checkA11y(page, `${label} (${lang})`);
          };
          await check(`/portal?lang=${lang}`, 200, '/portal');
          assert.equal(await page.locator('.pw-tiles li').count(), 5);
          await check('/portal/login', 200);
          assert.match(await page.locator('h1').innerText(), t.login);
          for (const id of ['#login-saml', '#login-oidc', '#login-test']) {
            assert.equal(await page.locator(id).count(), 1, `${id} on the login page`);
          }
          await check('/portal/login?level=high', 200);
          assert.match(await page.locator('#login-level').innerText(), t.high);
          assert.equal(await page.inputValue('#f-level'), 'high');
          await check('/portal/login?level=very-high', 400, 'login at an unknown level');
          await check('/portal/apply', 200);
          await check('/portal/discounts', 200);

          await testSignIn(page, 'Axel Barrierefrei', 'low');
          await check('/portal/cards', 200);
          await check('/portal/account', 200);
          await check('/portal/account/delete', 200);
          await check('/portal/apply/social-pass', 403, 'step-up page');
          assert.match(await page.locator('h1').innerText(), t.stepUp);
          assert.equal(await page.locator('#step-up').count(), 1);
        });
        // The refusal page: reached through a real BundID answer in a browser
        // that lost its sign-in cookie.
        await withPage({}, async (page) => {
          await refusedSignIn(page, lang);
          assert.equal(await page.getAttribute('html', 'lang'), lang);
          assert.match(await page.locator('h1').innerText(), t.refused);
          assert.match(await page.locator('#refusal').innerText(), t.why);
          await checkA11y(page, `refusal page (${lang})`);
          assert.equal((await me(page)).status, 401, 'a refused answer signs nobody in');
        });
      }

      await withPage(PHONE, async (page) => {
        for (const path of ['/portal', '/portal/login']) {
          await page.goto(`${ui.base}${path}`);
          await checkA11y(page, `${path} on a phone`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `${path} scrolls sideways on a phone by ${overflow}px`);
        }
      });
    });

    test('test sign-in: banner everywhere, sessions of two browsers, sign out everywhere', async () => {
      const bannerOn = async (page, path) => {
        await page.goto(`${ui.base}${path}`);
        const banner = page.locator('.pw-banner');
        assert.ok(await banner.isVisible(), `test banner on ${path}`);
        assert.match(await banner.innerText(), /Testbetrieb/);
      };
      await withPage({}, async (first) => {
        for (const path of ['/portal', '/portal/login', '/portal/apply', '/portal/discounts']) {
          await bannerOn(first, path);
        }
        assert.equal((await me(first)).status, 401);
        await testSignIn(first, 'Erika Mustermann', 'low');
        for (const path of ['/portal', '/portal/cards', '/portal/mailbox', '/portal/payments', '/portal/account',
          '/portal/apply/volunteer-card', '/portal/apply/social-pass']) {
          await bannerOn(first, path);
        }
        // The header names the person and the level.
        assert.match(await first.locator('header').innerText(), /Erika Mustermann/);
        const one = await me(first);
        assert.equal(one.status, 200);
        assert.equal(one.body.assurance, 'low');
        assert.equal(one.body.method, 'test');
        assert.ok(one.body.account_id, 'an account id');
        assert.ok(Date.parse(one.body.expires_at) > Date.now(), 'expires in the future');

        const sessionRows = (page) => page.locator('table:has(#sessions-table) tbody tr');
        await first.goto(`${ui.base}/portal/account`);
        assert.match(await first.locator('#account').innerText(), /Testanmeldung/);
        assert.equal(await sessionRows(first).count(), 1);
        assert.match(await sessionRows(first).first().innerText(), /diese Sitzung/);

        await withPage({}, async (second) => {
          await testSignIn(second, 'Erika Mustermann', 'low');
          const two = await me(second);
          assert.equal(two.status, 200);
          assert.equal(two.body.account_id, one.body.account_id, 'the same name is the same account');

          await first.reload();
          assert.equal(await sessionRows(first).count(), 2, 'both browsers\' sessions are listed');
          assert.equal(await sessionRows(first).filter({ hasText: 'diese Sitzung' }).count(), 1);

          await Promise.all([first.waitForURL(at('/portal')), first.click('#sign-out-everywhere')]);
          assert.match(await first.locator('main').innerText(), /Sie sind abgemeldet/);
          assert.equal((await me(first)).status, 401, 'signed out here');
          assert.equal((await me(second)).status, 401, 'and in the other browser');
          await second.goto(`${ui.base}/portal/account`);
          assert.equal(new URL(second.url()).pathname, '/portal/login', 'the account page wants a sign-in again');
        });
      });
    });

    test('BundID at STORK-QAA levels 1 to 4 gives low, low, substantial, high', async () => {
      const cases = [
        { stork: STORK(1), ask: 'low', expect: 'low' },
        { stork: STORK(2), ask: 'low', expect: 'low' },
        { stork: STORK(3), ask: 'substantial', expect: 'substantial' },
        { stork: STORK(4), ask: 'high', expect: 'high' },
      ];
      const accounts = new Set();
      await withPage({}, async (page) => {
        for (const c of cases) {
          const preselected = await bundId(page, c.stork, { level: c.ask, name: 'Berta Bund' });
          // The AuthnRequest asks for a class of the wanted level.
          if (c.ask === 'low') assert.ok([STORK(1), STORK(2)].includes(preselected), preselected);
          else assert.equal(preselected, c.ask === 'substantial' ? STORK(3) : STORK(4));
          const who = await me(page);
          assert.equal(who.status, 200, `signed in at ${c.stork}`);
          assert.equal(who.body.assurance, c.expect, c.stork);
          assert.equal(who.body.method, 'saml');
          accounts.add(who.body.account_id);
          assert.match(await page.locator('main').innerText(),
            new RegExp(`Vertrauensniveau „${{ low: 'niedrig', substantial: 'substantiell', high: 'hoch' }[c.expect]}“`));
        }
        assert.equal(accounts.size, 1, 'one person is one account at every level');
        await page.goto(`${ui.base}/portal/account`);
        assert.match(await page.locator('#account').innerText(), /BundID/);
        assert.equal(await page.locator('table:has(#sessions-table) tbody tr').count(), 1,
          'each new sign-in in this browser replaced the previous session');
      });
    });

    test('step-up from low to substantial through BundID, and straight to the login page without a session', async () => {
      await withPage({}, async (page) => {
        await bundId(page, STORK(2), { level: 'low' });
        assert.equal((await me(page)).body.assurance, 'low');
        const before = await page.goto(`${ui.base}/portal/apply/social-pass`);
        assert.equal(before.status(), 403);
        assert.match(await page.locator('h1').innerText(), /Höheres Vertrauensniveau nötig/);
        assert.match(await page.locator('main').innerText(), /„substantiell“.*„niedrig“/s);
        await Promise.all([page.waitForURL(at('/portal/login')), page.click('#step-up')]);
        const url = new URL(page.url());
        assert.equal(url.searchParams.get('level'), 'substantial');
        assert.equal(url.searchParams.get('return_to'), '/portal/apply/social-pass');
        const landed = page.waitForResponse((r) => r.url() === `${ui.base}/portal/apply/social-pass`);
        const preselected = await bundId(page, STORK(3), { returnTo: '/portal/apply/social-pass', startAtLogin: false });
        assert.equal(preselected, STORK(3));
        assert.equal((await landed).status(), 200);
        assert.match(await page.locator('main').innerText(), /Antrag beginnen|zurzeit nicht online beantragt/);
        const who = await me(page);
        assert.equal(who.body.assurance, 'substantial');
        assert.equal(who.body.method, 'saml');
      });
      await withPage({}, async (page) => {
        await page.goto(`${ui.base}/portal/apply/social-pass`);
        const url = new URL(page.url());
        assert.equal(url.pathname, '/portal/login');
        assert.equal(url.searchParams.get('level'), 'substantial');
        assert.equal(url.searchParams.get('return_to'), '/portal/apply/social-pass');
        assert.match(await page.locator('#login-level').innerText(), /substantiell/);
        assert.equal(await page.inputValue('#f-level'), 'substantial');
      });
    });

    test('OpenID provider at STORK-QAA level 4 gives high; the header button signs out', async () => {
      await withPage({}, async (page) => {
        await page.goto(loginUrl('high'));
        await page.click('#login-oidc');
        const op = new URL(peers.op.url).origin;
        await page.waitForURL((u) => u.origin === op && u.pathname.startsWith('/interaction/'));
        assert.equal(await page.inputValue('#level'), STORK(4), 'acr_values asked for level 4');
        await page.fill('#name', 'Otto Openid');
        await page.click('#login');
        await page.waitForURL(at('/portal'));
        const who = await me(page);
        assert.equal(who.status, 200);
        assert.equal(who.body.assurance, 'high');
        assert.equal(who.body.method, 'oidc');
        assert.match(await page.locator('header').innerText(), /Otto Openid/);
        await page.goto(`${ui.base}/portal/account`);
        assert.match(await page.locator('#account').innerText(), /OpenID Connect/);

        await Promise.all([page.waitForURL(at('/portal')),
          page.locator('header form[action="/portal/logout"] button').click()]);
        assert.match(await page.locator('main').innerText(), /Sie sind abgemeldet/);
        assert.equal((await me(page)).status, 401);
      });
    });

    test('deleting the account needs the confirmation and ends in a new account next time', async () => {
      const name = 'Dora Löschtest';
      await withPage({}, async (page) => {
        await testSignIn(page, name, 'low');
        const old = await me(page);
        assert.equal(old.status, 200);
        await page.goto(`${ui.base}/portal/account`);
        await Promise.all([page.waitForURL(at('/portal/account/delete')), page.click('#delete-account')]);

        const unconfirmed = page.waitForResponse((r) => r.url() === `${ui.base}/portal/account/delete` &&
          r.request().method() === 'POST');
        await Promise.all([page.waitForNavigation(), page.click('#delete-submit')]);
        assert.equal((await unconfirmed).status(), 422);
        const summary = page.locator('[role="alert"]').first();
        assert.match(await summary.innerText(), /Bitte bestätigen Sie das Löschen/);
        await checkA11y(page, 'delete page with error');
        assert.equal((await me(page)).status, 200, 'nothing deleted yet');

        await page.locator('form[action="/portal/account/delete"] input[type="checkbox"]').check();
        await Promise.all([page.waitForURL(at('/portal')), page.click('#delete-submit')]);
        assert.equal(new URL(page.url()).searchParams.get('deleted'), '1');
        assert.match(await page.locator('main').innerText(), /Ihr Konto ist gelöscht/);
        assert.equal((await me(page)).status, 401);

        await testSignIn(page, name, 'low');
        const fresh = await me(page);
        assert.equal(fresh.status, 200);
        assert.notEqual(fresh.body.account_id, old.body.account_id, 'a new account after deletion');
      });
    });

    test('without JavaScript, BundID sign-in works through the visible buttons', async () => {
      await withPage({ javaScriptEnabled: false }, async (page) => {
        await page.goto(loginUrl('substantial', '/portal/cards'));
        await bundId(page, STORK(3), { level: 'substantial', returnTo: '/portal/cards', noJs: true, startAtLogin: false });
        const who = await me(page);
        assert.equal(who.status, 200);
        assert.equal(who.body.assurance, 'substantial');
        assert.equal(who.body.method, 'saml');
        assert.match(await page.locator('h1').innerText(), /Meine Karten/);
      });
    });
  });
}
