// Citizens sign in to the portal (docs/portal.md) against real peers: a
// BundID-like SAML IdP on pysaml2 and an OpenID provider on oidc-provider,
// on both engines. Every level maps as configured; every refused answer —
// forged, unsigned, wrongly signed, tampered, expired, replayed, for another
// audience or recipient, wrapped, unencrypted, unsolicited, from another
// browser — gets a clear page, an audit entry and no session; a mutated
// response never signs anyone in and never stops the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';
import { startSamlIdp, startOidcProvider } from '../lib/peers.mjs';
import { createToken } from '../lib/guest_fixture.mjs';
import { Jar } from '../lib/cookies.mjs';

let idp;
let op;
before(async () => {
  [idp, op] = await Promise.all([startSamlIdp(), startOidcProvider()]);
});
after(async () => {
  await Promise.all([idp?.stop(), op?.stop()]);
});

async function request(jar, url, options = {}) {
  const response = await fetch(url, {
    redirect: 'manual', ...options, headers: { ...(options.headers || {}), cookie: jar.header() },
  });
  return jar.take(response);
}

function unescapeHtml(text) {
  return text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>')
    .replaceAll('&#43;', '+').replaceAll('&amp;', '&');
}

function hiddenField(html, name) {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  assert.ok(m, `no ${name} in the page`);
  return unescapeHtml(m[1]);
}

// Starts a BundID sign-in: the form our page posts to the IdP.
async function startSaml(server, jar, level = 'low', returnTo = '/portal') {
  const response = await request(jar, `${server.url}/portal/login/saml?level=${level}&return_to=${encodeURIComponent(returnTo)}`);
  assert.equal(response.status, 200);
  const html = await response.text();
  const action = unescapeHtml(html.match(/id="pw-idp-form"[^>]*action="([^"]*)"/)[1]);
  assert.equal(action, `${idp.url}/sso`);
  assert.match(response.headers.get('content-security-policy'), new RegExp(`form-action 'self' ${idp.url}`));
  return { SAMLRequest: hiddenField(html, 'SAMLRequest'), RelayState: hiddenField(html, 'RelayState') };
}

async function postAcs(server, jar, samlResponse, relayState) {
  const response = await request(jar, `${server.url}/portal/saml/acs`, {
    method: 'POST', body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }),
  });
  return { status: response.status, location: response.headers.get('location'), html: await response.text() };
}

async function me(server, jar) {
  const response = await request(jar, `${server.url}/api/portal/v1/me`);
  return { status: response.status, json: await response.json() };
}

// The whole BundID round trip through the IdP's own pages (its login form).
async function samlSignIn(server, jar, { level = 'low', stork = 'STORK-QAA-Level-1', name = 'Erika Mustermann',
  returnTo = '/portal' } = {}) {
  const start = await startSaml(server, jar, level, returnTo);
  const loginPage = await (await fetch(`${idp.url}/sso`, { method: 'POST', body: new URLSearchParams(start) })).text();
  const key = hiddenField(loginPage, 'key');
  assert.match(loginPage, new RegExp(`value="STORK-QAA-Level-${{ low: 1, substantial: 3, high: 4 }[level]}" selected`),
    'the IdP preselects the lowest class that maps to the level asked for');
  const answer = await (await fetch(`${idp.url}/sso/login`, {
    method: 'POST', body: new URLSearchParams({ key, name, level: stork }),
  })).text();
  return postAcs(server, jar, hiddenField(answer, 'SAMLResponse'), hiddenField(answer, 'RelayState'));
}

async function refusals(server, token) {
  const response = await fetch(`${server.url}/api/v1/audit?action=citizen.sign_in_refused&limit=200`,
    { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  return (await response.json()).entries;
}

const BAD_VARIANTS = ['unsigned', 'wrong_key', 'tampered', 'expired', 'wrong_audience', 'wrong_recipient', 'wrapping',
  'wrapping2', 'unencrypted', 'unsolicited', 'wrong_in_response_to'];

for (const engine of engines()) {
  test(`${engine.name}: citizens sign in with BundID, OIDC and the test sign-in`, async (t) => {
    const db = engine.setup();
    const clientId = `passwerk-${engine.name}-${Date.now()}`;
    const server = await startServer({
      pgUrl: db.pgUrl,
      env: {
        PASSWERK_PORTAL_TEST_LOGIN: 'true',
        PASSWERK_SAML_IDP_METADATA_FILE: idp.metadataPath,
        PASSWERK_OIDC_ISSUER: op.issuer,
        PASSWERK_OIDC_CLIENT_ID: clientId,
        PASSWERK_OIDC_CLIENT_SECRET: 'a-long-test-client-secret-0123456789',
      },
    });
    try {
      const metadata = await (await fetch(`${server.url}/portal/saml/metadata`)).text();
      assert.match(metadata, new RegExp(`entityID="${server.url}/portal/saml/metadata"`));
      assert.match(metadata, new RegExp(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${server.url}/portal/saml/acs"`));
      assert.match(metadata, /use="encryption"/);
      await idp.registerSp(metadata);
      await op.registerClient({ client_id: clientId, client_secret: 'a-long-test-client-secret-0123456789',
        redirect_uris: [`${server.url}/portal/oidc/callback`] });
      const auditor = createToken(server, 'auditor', 'audit:read');

      await t.test('the request is signed and asks for the level with the BundID extension', async () => {
        const start = await startSaml(server, new Jar(), 'substantial');
        const xml = Buffer.from(start.SAMLRequest, 'base64').toString('utf8');
        assert.match(xml, /<SignatureMethod Algorithm="http:\/\/www.w3.org\/2001\/04\/xmldsig-more#rsa-sha256"\/>/);
        assert.match(xml, /Comparison="minimum"/);
        assert.match(xml, /AuthnContextClassRef>STORK-QAA-Level-3</);
        assert.match(xml, /xmlns:akdb="https:\/\/www.akdb.de\/request\/2018\/09"/);
        assert.match(xml, /<akdb:AuthenticationRequest[^>]* Version="2"/);
        assert.match(xml, /RequestedAttribute Name="urn:oid:1.3.6.1.4.1.25484.494450.3"/);
        assert.match(xml, /nameid-format:persistent/);
      });

      await t.test('BundID at each STORK level gives the mapped assurance', async () => {
        const expected = { 'STORK-QAA-Level-1': 'low', 'STORK-QAA-Level-2': 'low', 'STORK-QAA-Level-3': 'substantial',
          'STORK-QAA-Level-4': 'high' };
        let account = null;
        for (const [stork, assurance] of Object.entries(expected)) {
          const jar = new Jar();
          const done = await samlSignIn(server, jar, { stork, returnTo: '/portal/cards' });
          assert.equal(done.status, 303, done.html);
          assert.equal(done.location, '/portal/cards');
          const who = await me(server, jar);
          assert.equal(who.status, 200);
          assert.equal(who.json.assurance, assurance, stork);
          assert.equal(who.json.method, 'saml');
          assert.ok(Date.parse(who.json.expires_at) > Date.now());
          account ??= who.json.account_id;
          assert.equal(who.json.account_id, account, 'one bPK2, one account');
        }
      });

      await t.test('a step-up through BundID ends the lower session', async () => {
        const jar = new Jar();
        assert.equal((await samlSignIn(server, jar, { stork: 'STORK-QAA-Level-2' })).status, 303);
        const low = jar.cookies.get('pw_citizen');
        assert.equal((await me(server, jar)).json.assurance, 'low');
        const denied = await request(jar, `${server.url}/portal/apply/social-pass`);
        assert.equal(denied.status, 403);
        // The IdP's answer comes by a cross-site POST, without the Lax session cookie.
        const start = await startSaml(server, jar, 'substantial', '/portal/apply/social-pass');
        const made = await idp.makeResponse({ samlRequest: start.SAMLRequest, level: 'STORK-QAA-Level-3' });
        const binding = new Jar();
        binding.cookies.set('pw_citizen_signin', jar.cookies.get('pw_citizen_signin'));
        const done = await postAcs(server, binding, made, start.RelayState);
        assert.equal(done.status, 303);
        assert.equal(done.location, '/portal/apply/social-pass');
        assert.equal((await me(server, binding)).json.assurance, 'substantial');
        const old = new Jar();
        old.cookies.set('pw_citizen', low);
        assert.equal((await me(server, old)).status, 401, 'the lower session has ended');
        assert.equal((await request(binding, `${server.url}/portal/apply/social-pass`)).status, 200);
      });

      await t.test('EID-CITIZEN-QAA-LEVEL lowers the level; asking for more does not raise it', async () => {
        const jar = new Jar();
        const start = await startSaml(server, jar, 'high');
        const made = await idp.makeResponse({ samlRequest: start.SAMLRequest, level: 'STORK-QAA-Level-4',
          eidLevel: 'STORK-QAA-Level-2' });
        assert.equal((await postAcs(server, jar, made, start.RelayState)).status, 303);
        assert.equal((await me(server, jar)).json.assurance, 'low');
        const jar2 = new Jar();
        const start2 = await startSaml(server, jar2, 'high');
        const made2 = await idp.makeResponse({ samlRequest: start2.SAMLRequest, level: 'STORK-QAA-Level-1' });
        assert.equal((await postAcs(server, jar2, made2, start2.RelayState)).status, 303);
        assert.equal((await me(server, jar2)).json.assurance, 'low', 'the level proven, not the level asked for');
      });

      await t.test('every bad response is refused with a page, an audit entry and no session', async () => {
        const before = (await refusals(server, auditor)).length;
        for (const variant of BAD_VARIANTS) {
          const jar = new Jar();
          const start = await startSaml(server, jar, 'substantial');
          const made = await idp.makeResponse({ samlRequest: start.SAMLRequest, variant });
          const answer = await postAcs(server, jar, made, start.RelayState);
          assert.equal(answer.status, 401, variant);
          assert.match(answer.html, /id="refusal"/, variant);
          assert.equal(jar.cookies.has('pw_citizen'), false, variant);
          assert.equal((await me(server, jar)).status, 401, variant);
        }
        const entries = await refusals(server, auditor);
        assert.equal(entries.length - before, BAD_VARIANTS.length);
        const reasons = entries.slice(0, BAD_VARIANTS.length).map((e) => (typeof e.detail === 'string' ? JSON.parse(e.detail) : e.detail).reason);
        assert.ok(reasons.some((r) => /expired/.test(r)), reasons.join('\n'));
        assert.ok(reasons.some((r) => /another service/.test(r)), reasons.join('\n'));
        assert.ok(reasons.some((r) => /encrypted assertion/.test(r)), reasons.join('\n'));
        assert.ok(reasons.some((r) => /does not answer the request/.test(r)), reasons.join('\n'));
      });

      await t.test('a replayed response and one from another browser are refused', async () => {
        const jar = new Jar();
        const start = await startSaml(server, jar);
        const made = await idp.makeResponse({ samlRequest: start.SAMLRequest });
        assert.equal((await postAcs(server, jar, made, start.RelayState)).status, 303);
        // The same answer again: its request is used up.
        const replay = await postAcs(server, new Jar(), made, start.RelayState);
        assert.equal(replay.status, 401);
        // Again under a fresh request of the attacker's own: InResponseTo does not match.
        const attacker = new Jar();
        const fresh = await startSaml(server, attacker);
        assert.equal((await postAcs(server, attacker, made, fresh.RelayState)).status, 401);
        // Login CSRF: a victim's browser posting an answer to a sign-in it never started.
        const victim = new Jar();
        const csrfStart = await startSaml(server, new Jar());
        const csrfMade = await idp.makeResponse({ samlRequest: csrfStart.SAMLRequest, name: 'Mallory Angreifer' });
        const forced = await postAcs(server, victim, csrfMade, csrfStart.RelayState);
        assert.equal(forced.status, 401);
        assert.equal(victim.cookies.has('pw_citizen'), false);
      });

      await t.test('mutated responses never sign in and never stop the server', async () => {
        const start = await startSaml(server, new Jar());
        const made = await idp.makeResponse({ samlRequest: start.SAMLRequest });
        const xml = Buffer.from(made, 'base64');
        let seed = 1234567;
        const random = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
        for (let i = 0; i < 40; i++) {
          const jar = new Jar();
          const s = await startSaml(server, jar);
          const mutated = Buffer.from(xml);
          for (let k = 0; k < 1 + random(4); k++) mutated[random(mutated.length)] = random(256);
          const answer = await postAcs(server, jar, mutated.toString('base64'), s.RelayState);
          assert.ok([400, 401].includes(answer.status), `mutation ${i}: ${answer.status}`);
          assert.equal(jar.cookies.has('pw_citizen'), false);
        }
        const garbage = await postAcs(server, new Jar(), 'not base64 at all %%%', 'x');
        assert.equal(garbage.status, 401);
        assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      });

      await t.test('unknown levels are a 400 page', async () => {
        for (const path of ['/portal/login?level=medium', '/portal/login/saml?level=HIGH', '/portal/login/oidc?level=4']) {
          const response = await fetch(server.url + path, { redirect: 'manual' });
          assert.equal(response.status, 400, path);
          assert.match(await response.text(), /Unbekanntes Vertrauensniveau/);
        }
      });

      await t.test('OIDC: code flow with PKCE through the OpenID provider', async () => {
        const jar = new Jar();
        const started = await request(jar, `${server.url}/portal/login/oidc?level=high&return_to=/portal/account`);
        assert.equal(started.status, 303);
        const authorize = new URL(started.headers.get('location'));
        assert.equal(authorize.origin, new URL(op.issuer).origin);
        assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
        assert.equal(authorize.searchParams.get('acr_values'), 'STORK-QAA-Level-4');
        assert.ok(authorize.searchParams.get('nonce') && authorize.searchParams.get('state'));
        // The provider's pages, with the provider's own cookies.
        const opJar = new Jar();
        let response = await request(opJar, authorize.toString());
        let location = new URL(response.headers.get('location'), op.issuer).toString();
        response = await request(opJar, location);
        const page = await response.text();
        const action = new URL(unescapeHtml(page.match(/<form[^>]*action="([^"]*)"/)[1]), location).toString();
        response = await request(opJar, action, {
          method: 'POST', body: new URLSearchParams({ name: 'Olga Oidc', level: 'STORK-QAA-Level-4' }),
        });
        while (response.status >= 300 && response.status < 400) {
          location = new URL(response.headers.get('location'), location).toString();
          if (location.startsWith(server.url)) break;
          response = await request(opJar, location);
        }
        assert.ok(location.startsWith(`${server.url}/portal/oidc/callback?`), location);
        // The callback in another browser (no binding cookie) is refused, and the
        // started sign-in is used up by it: a stolen callback URL is worth nothing.
        const other = await request(new Jar(), location);
        assert.equal(other.status, 401);
        assert.equal((await request(jar, location)).status, 401, 'the state is gone');
        // A fresh start in the real browser completes.
        const jar2 = new Jar();
        const started2 = await request(jar2, `${server.url}/portal/login/oidc?level=high&return_to=/portal/account`);
        response = await request(opJar, started2.headers.get('location'));
        while (response.status >= 300 && response.status < 400) {
          location = new URL(response.headers.get('location'), op.issuer).toString();
          if (location.startsWith(server.url)) break;
          response = await request(opJar, location);
        }
        if (!location.startsWith(server.url)) {
          const page2 = await response.text();
          const action2 = new URL(unescapeHtml(page2.match(/<form[^>]*action="([^"]*)"/)[1]), location).toString();
          response = await request(opJar, action2, {
            method: 'POST', body: new URLSearchParams({ name: 'Olga Oidc', level: 'STORK-QAA-Level-4' }),
          });
          while (response.status >= 300 && response.status < 400) {
            location = new URL(response.headers.get('location'), location).toString();
            if (location.startsWith(server.url)) break;
            response = await request(opJar, location);
          }
        }
        const callback = await request(jar2, location);
        assert.equal(callback.status, 303, await callback.text());
        assert.equal(callback.headers.get('location'), '/portal/account');
        const who = await me(server, jar2);
        assert.equal(who.json.assurance, 'high');
        assert.equal(who.json.method, 'oidc');
        assert.equal((await me(server, jar)).status, 401);
      });

      await t.test('the test sign-in reaches the demo citizen; step-up; sessions; deletion', async () => {
        const jar = new Jar();
        const form = await request(jar, `${server.url}/portal/login`);
        const html = await form.text();
        assert.match(html, /class="pw-banner"/);
        const csrf = hiddenField(html, 'csrf');
        const signIn = async (j, name, level) => request(j, `${server.url}/portal/login/test`, {
          method: 'POST', body: new URLSearchParams({ csrf, name, level, return_to: '/portal/cards' }),
        });
        let response = await signIn(jar, '  erika   MUSTERMANN ', 'low');
        assert.equal(response.status, 303);
        assert.equal((await me(server, jar)).json.account_id, server.demo.portal.citizen.account_id);
        const cards = await (await request(jar, `${server.url}/portal/cards`)).text();
        assert.match(cards, /id="my-cards"/);
        // Step-up: the social pass needs substantial.
        response = await request(jar, `${server.url}/portal/apply/social-pass`);
        assert.equal(response.status, 403);
        const stepUp = await response.text();
        assert.match(stepUp, /substantiell/);
        assert.match(stepUp, /href="\/portal\/login\?level=substantial&amp;return_to=%2Fportal%2Fapply%2Fsocial-pass"/);
        // Without the form cookie the test sign-in is refused (CSRF).
        const stranger = await request(new Jar(), `${server.url}/portal/login/test`, {
          method: 'POST', body: new URLSearchParams({ csrf, name: 'X Y', level: 'high' }),
        });
        assert.equal(stranger.status, 403);
        // A second session, listed; sign out everywhere ends both.
        const jar2 = new Jar();
        jar2.cookies.set('pw_citizen_form', jar.cookies.get('pw_citizen_form'));
        await signIn(jar2, 'Erika Mustermann', 'substantial');
        assert.equal((await me(server, jar2)).json.assurance, 'substantial');
        const account = await (await request(jar, `${server.url}/portal/account`)).text();
        assert.equal((account.match(/<tr>/g) || []).length, 2, 'two sessions listed');
        const accountCsrf = hiddenField(account, 'csrf');
        response = await request(jar, `${server.url}/portal/account/sign-out-everywhere`, {
          method: 'POST', body: new URLSearchParams({ csrf: accountCsrf }),
        });
        assert.equal(response.status, 303);
        assert.equal((await me(server, jar)).status, 401);
        assert.equal((await me(server, jar2)).status, 401);
        // Deletion: a fresh account, deleted; the same name afterwards is a new account.
        const jar3 = new Jar();
        jar3.cookies.set('pw_citizen_form', jar.cookies.get('pw_citizen_form'));
        await signIn(jar3, 'Dora Delete', 'low');
        const first = (await me(server, jar3)).json.account_id;
        const deletePage = await (await request(jar3, `${server.url}/portal/account/delete`)).text();
        const deleteCsrf = hiddenField(deletePage, 'csrf');
        response = await request(jar3, `${server.url}/portal/account/delete`, {
          method: 'POST', body: new URLSearchParams({ csrf: deleteCsrf }),
        });
        assert.equal(response.status, 422, 'unconfirmed');
        response = await request(jar3, `${server.url}/portal/account/delete`, {
          method: 'POST', body: new URLSearchParams({ csrf: deleteCsrf, confirm: 'on' }),
        });
        assert.equal(response.status, 303);
        assert.equal((await me(server, jar3)).status, 401);
        await signIn(jar3, 'Dora Delete', 'low');
        assert.notEqual((await me(server, jar3)).json.account_id, first);
      });
    } finally {
      const result = await server.stop();
      db.cleanup();
      assert.equal(result.code, 0, server.stderr());
    }
  });
}

test('the test sign-in is off unless switched on', async () => {
  const server = await startServer({ demo: false });
  try {
    const page = await (await fetch(`${server.url}/portal/login`)).text();
    assert.doesNotMatch(page, /pw-banner|login-test|login-saml/);
    const post = await fetch(`${server.url}/portal/login/test`, { method: 'POST', body: 'name=x&level=low',
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    assert.equal(post.status, 404);
    // BundID onboarding needs our metadata before BundID's is configured.
    const metadata = await fetch(`${server.url}/portal/saml/metadata`);
    assert.equal(metadata.status, 200);
    assert.match(await metadata.text(), /<ds:X509Certificate>MII/);
    assert.equal((await fetch(`${server.url}/api/portal/v1/me`)).status, 401);
  } finally {
    await server.stop();
  }
});
