// Checks the sign-in test peers themselves, without Passwerk: the SAML IdP
// against a pysaml2 service provider (tests/peers/saml_sp_probe.py), the
// OpenID provider with a hand-written code flow over fetch.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON, startOidcProvider, startSamlIdp } from '../lib/peers.mjs';

const PROBE = new URL('../peers/saml_sp_probe.py', import.meta.url).pathname;
const LASSO_PROBE_SRC = new URL('../peers/lasso_probe.c', import.meta.url).pathname;
const OID = {
  givenName: 'urn:oid:2.5.4.42',
  surname: 'urn:oid:2.5.4.4',
  bPK2: 'urn:oid:1.3.6.1.4.1.25484.494450.3',
  eidLevel: 'urn:oid:1.2.40.0.10.2.1.1.261.94',
  birthdate: 'urn:oid:1.2.40.0.10.2.1.1.55',
};

// The pysaml2 SP probe: one process, one JSON command per line, answers in order.
function startProbe() {
  const child = spawn(PYTHON, [PROBE], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-20000); });
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  child.on('exit', (code) => { for (const w of waiting.splice(0)) w.reject(new Error(`probe exited ${code}: ${stderr}`)); });
  return {
    call(cmd) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${JSON.stringify(cmd)}\n`);
      }).then((out) => {
        if (out.error && out.ok === undefined) throw new Error(`probe ${cmd.cmd}: ${out.error}`);
        return out;
      });
    },
    stop() {
      if (child.exitCode !== null) return Promise.resolve();
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      return exited;
    },
  };
}

function hiddenField(html, name) {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  return m && m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

describe('SAML IdP peer', () => {
  let idp;
  let spDir;
  let probe;
  const sp = { entityId: 'http://sp.test/saml', acs: 'http://sp.test/portal/saml/acs' };

  before(async () => {
    idp = await startSamlIdp();
    probe = startProbe();
    spDir = mkdtempSync(join(tmpdir(), 'passwerk-sp-probe-'));
    const { metadata } = await probe.call({
      cmd: 'init', workdir: spDir, entity_id: sp.entityId, acs: sp.acs, idp_metadata: idp.metadataPath,
    });
    await idp.registerSp(metadata);
  });
  after(async () => {
    await idp?.stop();
    await probe?.stop();
    if (spDir) rmSync(spDir, { recursive: true, force: true });
  });

  const request = (extra = {}) => probe.call({ cmd: 'request', workdir: spDir, ...extra });
  const check = (req, samlResponse) => probe.call({
    cmd: 'response', workdir: spDir, request_id: req.id, saml_response: samlResponse,
  });

  test('the login form answers a signed AuthnRequest with an encrypted, signed assertion', async () => {
    const req = await request({ level: 'STORK-QAA-Level-3' });
    const sso = await fetch(`${idp.url}/sso`, {
      method: 'POST', body: new URLSearchParams({ SAMLRequest: req.saml_request, RelayState: 'rs-42' }),
    });
    assert.equal(sso.status, 200);
    const form = await sso.text();
    assert.match(form, /<label for="name">/);
    assert.match(form, /<option value="STORK-QAA-Level-3" selected>/, 'the requested minimum is preselected');
    assert.match(form, /urn:oid:1\.3\.6\.1\.4\.1\.25484\.494450\.3/, 'the akdb requested attributes are shown');
    const login = await fetch(`${idp.url}/sso/login`, {
      method: 'POST',
      body: new URLSearchParams({ key: hiddenField(form, 'key'), name: 'Max Peter Muster', level: 'STORK-QAA-Level-4' }),
    });
    assert.equal(login.status, 200);
    const post = await login.text();
    assert.ok(post.includes(`action="${sp.acs}"`));
    assert.match(post, /id="continue"/);
    assert.equal(hiddenField(post, 'RelayState'), 'rs-42');
    const samlResponse = hiddenField(post, 'SAMLResponse');
    const xml = Buffer.from(samlResponse, 'base64').toString();
    assert.match(xml, /EncryptedAssertion/);
    assert.doesNotMatch(xml, /<saml:Assertion/);
    assert.match(xml, /xmlenc#aes128-cbc/);
    assert.match(xml, /xmlenc#rsa-oaep-mgf1p/);
    const result = await check(req, samlResponse);
    assert.equal(result.ok, true, result.error);
    assert.equal(result.level, 'STORK-QAA-Level-4');
    assert.deepEqual(result.attributes[OID.givenName], ['Max Peter']);
    assert.deepEqual(result.attributes[OID.surname], ['Muster']);
    assert.deepEqual(result.attributes[OID.eidLevel], ['STORK-QAA-Level-4']);
    assert.deepEqual(result.attributes[OID.birthdate], ['1964-08-12']);
    // The login session is single use.
    const again = await fetch(`${idp.url}/sso/login`, {
      method: 'POST', body: new URLSearchParams({ key: hiddenField(form, 'key'), name: 'x', level: 'STORK-QAA-Level-4' }),
    });
    assert.equal(again.status, 400);
  });

  test('an unsigned AuthnRequest or one from an unregistered SP is refused with 400', async () => {
    const unsigned = await request({ unsigned: true });
    const res = await fetch(`${idp.url}/sso`, { method: 'POST', body: new URLSearchParams({ SAMLRequest: unsigned.saml_request }) });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type'), /text\/html/);
    // Signed, but by an SP the IdP does not know.
    const otherDir = mkdtempSync(join(tmpdir(), 'passwerk-sp-probe-'));
    try {
      await probe.call({
        cmd: 'init', workdir: otherDir, entity_id: 'http://other.test/saml', acs: 'http://other.test/acs', idp_metadata: idp.metadataPath,
      });
      const foreign = await probe.call({ cmd: 'request', workdir: otherDir });
      const res2 = await fetch(`${idp.url}/sso`, { method: 'POST', body: new URLSearchParams({ SAMLRequest: foreign.saml_request }) });
      assert.equal(res2.status, 400);
      // Once registered as a second SP, the same request is welcome.
      await idp.registerSp(readFileSync(join(otherDir, 'sp-metadata.xml'), 'utf8'));
      const res3 = await fetch(`${idp.url}/sso`, { method: 'POST', body: new URLSearchParams({ SAMLRequest: foreign.saml_request }) });
      assert.equal(res3.status, 200);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  test('the test API: valid responses verify, bPK2 is stable per name, eid_level overrides', async () => {
    const req = await request();
    const a = await check(req, await idp.makeResponse({ samlRequest: req.saml_request, level: 'STORK-QAA-Level-3', name: 'Erika Mustermann' }));
    assert.equal(a.ok, true, a.error);
    assert.equal(a.level, 'STORK-QAA-Level-3');
    const b = await check(req, await idp.makeResponse({
      samlRequest: req.saml_request, level: 'STORK-QAA-Level-3', name: ' erika  mustermann ', eidLevel: 'STORK-QAA-Level-1',
    }));
    assert.equal(b.ok, true, b.error);
    assert.deepEqual(b.attributes[OID.bPK2], a.attributes[OID.bPK2]);
    assert.deepEqual(b.attributes[OID.eidLevel], ['STORK-QAA-Level-1']);
    const unencrypted = await check(req, await idp.makeResponse({ samlRequest: req.saml_request, variant: 'unencrypted' }));
    assert.equal(unencrypted.ok, true, 'unencrypted is validly signed, only not encrypted');
  });

  // Each negative variant must be refused by a correct SP (pysaml2 here).
  const refused = {
    unsigned: /Signature missing/,
    wrong_key: /Failed to verify signature/,
    tampered: /Failed to verify signature/,
    expired: /too old/,
    wrong_audience: /AudienceRestrictions/,
    wrong_recipient: /no acceptable assertion/,
    wrapping: /Signature missing/,
    wrapping2: /number of assertions/,
    unsolicited: /Unsolicited/,
    wrong_in_response_to: /Unsolicited/,
  };
  for (const [variant, error] of Object.entries(refused)) {
    test(`variant ${variant} is refused by a pysaml2 SP`, async () => {
      const req = await request();
      const samlResponse = await idp.makeResponse({ samlRequest: req.saml_request, level: 'STORK-QAA-Level-3', variant });
      const result = await check(req, samlResponse);
      assert.equal(result.ok, false, `${variant} was accepted`);
      assert.match(result.error, error);
    });
  }

  // liblasso, the SP library of Passwerk, against the same IdP: compiled on the
  // fly (a second or so); skipped where liblasso's headers are missing.
  describe('with liblasso as the SP', () => {
    let lassoDir;
    let lasso;
    const lassoSp = 'http://lasso.test/saml';
    const hasLasso = (() => {
      try { execFileSync('pkg-config', ['--exists', 'lasso']); return true; } catch { return false; }
    })();

    before(async () => {
      if (!hasLasso) return;
      lassoDir = mkdtempSync(join(tmpdir(), 'passwerk-lasso-probe-'));
      const bin = join(lassoDir, 'lasso_probe');
      const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'lasso', 'glib-2.0', 'gobject-2.0'], { encoding: 'utf8' });
      execFileSync('nice', ['cc', '-o', bin, LASSO_PROBE_SRC, ...flags.trim().split(/\s+/)]);
      await probe.call({ cmd: 'init', workdir: lassoDir, entity_id: lassoSp, acs: 'http://lasso.test/acs', idp_metadata: idp.metadataPath });
      await idp.registerSp(readFileSync(join(lassoDir, 'sp-metadata.xml'), 'utf8'));
      const files = [join(lassoDir, 'sp-metadata.xml'), join(lassoDir, 'sp.key'), idp.metadataPath];
      lasso = {
        request: () => JSON.parse(execFileSync(bin, [...files, 'request'], { encoding: 'utf8' })),
        response: (samlResponse) => JSON.parse(execFileSync(bin, [...files, 'response', lassoSp], { input: samlResponse, encoding: 'utf8' })),
      };
    });
    after(() => { if (lassoDir) rmSync(lassoDir, { recursive: true, force: true }); });

    test('liblasso\'s signed AuthnRequest is welcome, its valid response decrypts and verifies there', { skip: !hasLasso }, async () => {
      const req = lasso.request();
      const sso = await fetch(`${idp.url}/sso`, { method: 'POST', body: new URLSearchParams({ SAMLRequest: req.saml_request }) });
      const page = await sso.text();
      assert.equal(sso.status, 200, page);
      assert.match(page, /<option value="STORK-QAA-Level-3" selected>/);
      const r = lasso.response(await idp.makeResponse({ samlRequest: req.saml_request, level: 'STORK-QAA-Level-3' }));
      assert.equal(r.process, 0, r.error);
      assert.equal(r.accept, 0);
      assert.equal(r.conditions, 0);
      assert.equal(r.encrypted, true);
      assert.equal(r.in_response_to, req.id);
      assert.equal(r.attributes[OID.eidLevel], 'STORK-QAA-Level-3');
      assert.equal(r.attributes[OID.givenName], 'Erika');
    });

    test('liblasso refuses the signature variants itself', { skip: !hasLasso }, async () => {
      const req = lasso.request();
      for (const variant of ['unsigned', 'wrong_key', 'tampered', 'wrapping', 'wrapping2']) {
        const r = lasso.response(await idp.makeResponse({ samlRequest: req.saml_request, variant }));
        assert.notEqual(r.process, 0, `${variant} passed lasso_login_process_authn_response_msg`);
      }
    });

    // What liblasso leaves to its caller: these pass process/accept_sso, and the
    // SP must look at conditions, Recipient/Destination, InResponseTo and encryption.
    test('liblasso leaves conditions, recipient, InResponseTo and encryption to its caller', { skip: !hasLasso }, async () => {
      const req = lasso.request();
      const get = async (variant) => {
        const r = lasso.response(await idp.makeResponse({ samlRequest: req.saml_request, variant }));
        assert.equal(r.process, 0, `${variant}: ${r.error}`);
        return r;
      };
      assert.equal((await get('expired')).conditions, 1, 'validate_conditions flags expired');
      assert.equal((await get('wrong_audience')).conditions, 1, 'validate_conditions flags wrong_audience');
      const wr = await get('wrong_recipient');
      assert.equal(wr.recipient, 'https://evil.example/acs');
      assert.equal(wr.destination, 'https://evil.example/acs');
      assert.equal((await get('unsolicited')).in_response_to, null);
      assert.notEqual((await get('wrong_in_response_to')).in_response_to, req.id);
      assert.equal((await get('unencrypted')).encrypted, false);
    });
  });

  test('an unknown variant is a 400', async () => {
    const req = await request();
    await assert.rejects(idp.makeResponse({ samlRequest: req.saml_request, variant: 'nope' }), /HTTP 400/);
  });
});

// --- OIDC ---------------------------------------------------------------------------

// A minimal cookie jar for manual redirects.
class Jar {
  constructor() { this.cookies = new Map(); }
  take(res) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired) this.cookies.delete(name); else this.cookies.set(name, pair.slice(i + 1));
    }
  }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// Runs the authorization code flow with PKCE up to the token response.
async function codeFlow(op, client, { name = 'Erika Mustermann', level = 'STORK-QAA-Level-3', acrValues = 'STORK-QAA-Level-3', basic = true } = {}) {
  const disco = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(12));
  const nonce = b64url(randomBytes(12));
  const jar = new Jar();
  const auth = new URL(disco.authorization_endpoint);
  auth.search = new URLSearchParams({
    client_id: client.client_id, redirect_uri: client.redirect_uris[0], response_type: 'code',
    scope: 'openid profile email address', state, nonce, acr_values: acrValues,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
  });
  let res = await fetch(auth, { redirect: 'manual' });
  jar.take(res);
  assert.equal(res.status, 303, await res.text());
  const interaction = new URL(res.headers.get('location'), op.issuer);
  res = await fetch(interaction, { headers: { cookie: jar.header() } });
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<label for="name">Name<\/label>/);
  assert.match(html, /id="login"/);
  if (acrValues) assert.match(html, new RegExp(`<option value="${acrValues}" selected>`));
  const action = new URL(html.match(/action="([^"]+)"/)[1], op.issuer);
  res = await fetch(action, {
    method: 'POST', redirect: 'manual', headers: { cookie: jar.header() }, body: new URLSearchParams({ name, level }),
  });
  jar.take(res);
  // Follow the provider's own redirects until it sends us to the client.
  let location = res.headers.get('location');
  for (let hops = 0; hops < 5 && !location.startsWith(client.redirect_uris[0]); hops += 1) {
    res = await fetch(new URL(location, op.issuer), { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(res);
    assert.ok([302, 303].includes(res.status), `unexpected ${res.status}: ${await res.text()}`);
    location = res.headers.get('location');
  }
  const back = new URL(location);
  assert.equal(back.searchParams.get('state'), state);
  assert.equal(back.searchParams.get('iss'), op.issuer);
  const code = back.searchParams.get('code');
  assert.ok(code, `no code in ${location}`);
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0], code_verifier: verifier });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`;
  } else {
    form.set('client_id', client.client_id);
    form.set('client_secret', client.client_secret);
  }
  res = await fetch(disco.token_endpoint, { method: 'POST', headers, body: form });
  const tokens = await res.json();
  assert.equal(res.status, 200, JSON.stringify(tokens));
  return { tokens, nonce, disco };
}

// Verifies a compact JWS against the provider's JWKS; returns header and payload.
async function verifyIdToken(idToken, disco) {
  const [h, p, s] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const { keys } = await (await fetch(disco.jwks_uri)).json();
  const jwk = keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} is in the JWKS`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const ok = header.alg === 'ES256'
    ? verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))
    : verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
  assert.ok(ok, 'ID token signature verifies');
  return { header, payload: JSON.parse(Buffer.from(p, 'base64url')) };
}

describe('OpenID provider peer', () => {
  let op;
  const rs = { client_id: 'passwerk-rs', client_secret: 'secret-rs-0123456789abcdef0123456789', redirect_uris: ['http://127.0.0.1:9/portal/oidc/callback'] };
  const es = {
    client_id: 'passwerk-es', client_secret: 'secret-es-0123456789abcdef0123456789', redirect_uris: ['http://127.0.0.1:9/cb'],
    id_token_signed_response_alg: 'ES256', token_endpoint_auth_method: 'client_secret_post',
  };

  before(async () => {
    op = await startOidcProvider();
    await op.registerClient(rs);
    await op.registerClient(es);
  });
  after(async () => { await op?.stop(); });

  test('code flow with PKCE: the ID token is RS256-signed and carries acr, nonce and the claims', async () => {
    const { tokens, nonce, disco } = await codeFlow(op, rs, { level: 'STORK-QAA-Level-4' });
    const { header, payload } = await verifyIdToken(tokens.id_token, disco);
    assert.equal(header.alg, 'RS256');
    assert.equal(payload.iss, op.issuer);
    assert.equal(payload.aud, rs.client_id);
    assert.equal(payload.nonce, nonce);
    assert.equal(payload.acr, 'STORK-QAA-Level-4');
    assert.equal(payload.given_name, 'Erika');
    assert.equal(payload.family_name, 'Mustermann');
    assert.equal(payload.birthdate, '1964-08-12');
    assert.equal(payload.email, 'erika.mustermann@example.org');
    assert.equal(payload.address.postal_code, '51147');
    assert.equal(payload.address.locality, 'Köln');
    const me = await (await fetch(disco.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
    assert.equal(me.sub, payload.sub);
    assert.equal(me.family_name, 'Mustermann');
    const again = await codeFlow(op, rs, { name: 'Erika  Mustermann' });
    const second = await verifyIdToken(again.tokens.id_token, again.disco);
    assert.equal(second.payload.sub, payload.sub, 'sub is stable per name');
    assert.equal(second.payload.acr, 'STORK-QAA-Level-3');
  });

  test('an ES256 client with client_secret_post', async () => {
    const { tokens, nonce, disco } = await codeFlow(op, es, { name: 'Max Muster', level: 'STORK-QAA-Level-2', acrValues: 'STORK-QAA-Level-2', basic: false });
    const { header, payload } = await verifyIdToken(tokens.id_token, disco);
    assert.equal(header.alg, 'ES256');
    assert.equal(payload.nonce, nonce);
    assert.equal(payload.acr, 'STORK-QAA-Level-2');
    assert.equal(payload.family_name, 'Muster');
  });

  test('an authorization request without PKCE is refused', async () => {
    const auth = new URL(`${op.issuer}/auth`);
    auth.search = new URLSearchParams({
      client_id: rs.client_id, redirect_uri: rs.redirect_uris[0], response_type: 'code', scope: 'openid', state: 's', nonce: 'n',
    });
    const res = await fetch(auth, { redirect: 'manual' });
    assert.equal(res.status, 303);
    const back = new URL(res.headers.get('location'));
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.match(back.searchParams.get('error_description'), /PKCE/);
  });
});
