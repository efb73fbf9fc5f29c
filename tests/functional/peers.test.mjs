// Checks the test peers themselves, without Passwerk: the SAML IdP against a
// pysaml2 service provider (tests/peers/saml_sp_probe.py), the OpenID
// provider with a hand-written code flow over fetch, the SMTP server with a
// hand-written SMTP dialogue over a socket.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { freePort, PYTHON, startOidcProvider, startSamlIdp, startSmtpServer } from '../lib/peers.mjs';

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

// --- SMTP ---------------------------------------------------------------------------

// One SMTP client session over a socket: reply() reads one (multi-line) reply,
// cmd() sends a line and reads the reply, starttls() upgrades the socket.
async function smtpSession(peer, { tls = false } = {}) {
  let socket;
  let buffer = '';
  let waiting = null;
  const attach = (s) => {
    socket = s;
    s.setEncoding('utf8');
    s.on('data', (d) => { buffer += d; waiting?.(); });
    s.on('error', () => {});
  };
  const open = tls
    ? tlsConnect({ host: '127.0.0.1', port: peer.port, ca: readFileSync(peer.caFile), servername: 'localhost' })
    : netConnect({ host: '127.0.0.1', port: peer.port });
  await new Promise((resolve, reject) => { open.once(tls ? 'secureConnect' : 'connect', resolve); open.once('error', reject); });
  attach(open);
  const reply = async () => {
    const deadline = Date.now() + 5000;
    for (;;) {
      // A reply is complete at a line "NNN text" (not "NNN-text").
      const lines = buffer.split('\r\n');
      const last = lines.findIndex((l) => /^\d{3}( |$)/.test(l));
      if (last >= 0) {
        const taken = lines.slice(0, last + 1);
        buffer = lines.slice(last + 1).join('\r\n');
        return { code: Number(taken[last].slice(0, 3)), text: taken.join('\n') };
      }
      if (Date.now() > deadline) throw new Error(`no SMTP reply; buffer: ${buffer}`);
      await new Promise((r) => { waiting = r; setTimeout(r, 100); });
      waiting = null;
    }
  };
  const session = {
    reply,
    async cmd(line) { socket.write(`${line}\r\n`); return reply(); },
    async starttls() {
      const r = await session.cmd('STARTTLS');
      assert.equal(r.code, 220, r.text);
      socket.removeAllListeners('data');
      const secured = tlsConnect({ socket, ca: readFileSync(peer.caFile), servername: 'localhost' });
      await new Promise((resolve, reject) => { secured.once('secureConnect', resolve); secured.once('error', reject); });
      buffer = '';
      attach(secured);
    },
    // MAIL, RCPT, DATA and the message; the replies of each step.
    async send({ from, to, subject, text }) {
      const mail = await session.cmd(`MAIL FROM:<${from}>`);
      if (mail.code !== 250) return { mail };
      const rcpt = await session.cmd(`RCPT TO:<${to}>`);
      if (rcpt.code !== 250) { await session.cmd('RSET'); return { mail, rcpt }; }
      const data = await session.cmd('DATA');
      assert.equal(data.code, 354, data.text);
      const message = [`From: Test <${from}>`, `To: <${to}>`, `Subject: ${subject}`, 'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', ...text.split('\n')]
        .map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n');
      const end = await session.cmd(`${message}\r\n.`);
      return { mail, rcpt, data, end };
    },
    async quit() { await session.cmd('QUIT'); socket.end(); },
  };
  const greeting = await reply();
  assert.equal(greeting.code, 220, greeting.text);
  return session;
}

describe('SMTP peer', () => {
  test('keeps and parses what it receives', async () => {
    const peer = await startSmtpServer();
    try {
      assert.equal(peer.url, `smtp://127.0.0.1:${peer.port}`);
      const s = await smtpSession(peer);
      const ehlo = await s.cmd('EHLO test.example');
      assert.equal(ehlo.code, 250);
      assert.doesNotMatch(ehlo.text, /STARTTLS|AUTH/, 'a plain peer offers neither');
      const sent = await s.send({ from: 'noreply@passwerk.example', to: 'erika@example.org', subject: 'Grüße',
        text: 'Hallo Erika,\n.eine Zeile mit Punkt\nEnde' });
      assert.equal(sent.end.code, 250, sent.end.text);
      await s.quit();
      const [m] = await peer.waitForMessages(1, 5000);
      assert.equal(m.subject, 'Grüße');
      assert.equal(m.from, '"Test" <noreply@passwerk.example>');
      assert.deepEqual(m.envelope, { from: 'noreply@passwerk.example', to: ['erika@example.org'] });
      assert.match(m.text, /^Hallo Erika,\n\.eine Zeile mit Punkt\nEnde/);
      assert.match(m.raw, /^From: Test <noreply@passwerk\.example>\r\n/);
      assert.equal(m.headers['content-type'].value, 'text/plain');
      assert.equal(m.user, null);
      assert.equal(m.secure, false);
      assert.equal(peer.refused, 0);
      await assert.rejects(peer.waitForMessages(2, 100), /1 of 2 messages/);
    } finally {
      await peer.stop();
    }
  });

  test('refuseFirst: the first transactions get a temporary 451 at RCPT, then after DATA', async () => {
    const peer = await startSmtpServer({ refuseFirst: 2 });
    try {
      const s = await smtpSession(peer);
      await s.cmd('EHLO test.example');
      const mail = { from: 'a@example.org', to: 'b@example.org', subject: 'x', text: 'y' };
      const first = await s.send(mail);
      assert.equal(first.rcpt.code, 451, first.rcpt.text);
      const second = await s.send(mail);
      assert.equal(second.rcpt.code, 250);
      assert.equal(second.end.code, 451, second.end.text);
      assert.equal(peer.messages.length, 0);
      const third = await s.send(mail);
      assert.equal(third.end.code, 250, third.end.text);
      await s.quit();
      await peer.waitForMessages(1, 5000);
      assert.equal(peer.refused, 2);
      assert.equal(peer.transactions, 3);
    } finally {
      await peer.stop();
    }
  });

  test('STARTTLS and AUTH: MAIL needs both; the certificate verifies against caFile', async () => {
    const peer = await startSmtpServer({ starttls: true, auth: { user: 'passwerk', pass: 'smtp-secret' } });
    try {
      assert.ok(readFileSync(peer.caFile, 'utf8').startsWith('-----BEGIN CERTIFICATE-----'));
      const s = await smtpSession(peer);
      assert.match((await s.cmd('EHLO test.example')).text, /STARTTLS/);
      assert.equal((await s.cmd('MAIL FROM:<a@example.org>')).code, 530, 'no mail before STARTTLS');
      await s.starttls();
      const ehlo = await s.cmd('EHLO test.example');
      assert.match(ehlo.text, /AUTH PLAIN LOGIN/);
      assert.equal((await s.cmd('MAIL FROM:<a@example.org>')).code, 530, 'no mail before AUTH');
      const plain = (user, pass) => Buffer.from(`\0${user}\0${pass}`).toString('base64');
      assert.equal((await s.cmd(`AUTH PLAIN ${plain('passwerk', 'wrong')}`)).code, 535);
      assert.equal((await s.cmd(`AUTH PLAIN ${plain('passwerk', 'smtp-secret')}`)).code, 235);
      const sent = await s.send({ from: 'a@example.org', to: 'b@example.org', subject: 'tls', text: 'z' });
      assert.equal(sent.end.code, 250, sent.end.text);
      await s.quit();
      const [m] = await peer.waitForMessages(1, 5000);
      assert.equal(m.user, 'passwerk');
      assert.equal(m.secure, true);
      // AUTH LOGIN works too.
      const s2 = await smtpSession(peer);
      await s2.cmd('EHLO test.example');
      await s2.starttls();
      await s2.cmd('EHLO test.example');
      assert.equal((await s2.cmd('AUTH LOGIN')).code, 334);
      assert.equal((await s2.cmd(Buffer.from('passwerk').toString('base64'))).code, 334);
      assert.equal((await s2.cmd(Buffer.from('smtp-secret').toString('base64'))).code, 235);
      await s2.quit();
    } finally {
      await peer.stop();
    }
    // The certificate directory goes with the peer.
    assert.throws(() => readFileSync(peer.caFile));
  });

  test('secure: TLS from the first byte (smtps://)', async () => {
    const peer = await startSmtpServer({ secure: true });
    try {
      assert.equal(peer.url, `smtps://127.0.0.1:${peer.port}`);
      const s = await smtpSession(peer, { tls: true });
      await s.cmd('EHLO test.example');
      const sent = await s.send({ from: 'a@example.org', to: 'b@example.org', subject: 'smtps', text: 'z' });
      assert.equal(sent.end.code, 250, sent.end.text);
      await s.quit();
      assert.equal((await peer.waitForMessages(1, 5000))[0].secure, true);
    } finally {
      await peer.stop();
    }
  });

  test('stop() ends open sessions and frees the port; a new peer can take it', async () => {
    const port = await freePort();
    const peer = await startSmtpServer({ port });
    assert.equal(peer.port, port);
    const s = await smtpSession(peer);
    await s.cmd('EHLO test.example');
    const started = Date.now();
    await peer.stop();
    assert.ok(Date.now() - started < 2000, 'stop does not wait for the client');
    await assert.rejects(smtpSession(peer), /ECONNREFUSED/);
    const again = await startSmtpServer({ port });
    try {
      const s2 = await smtpSession(again);
      await s2.cmd('EHLO test.example');
      await s2.quit();
    } finally {
      await again.stop();
    }
  });
});
