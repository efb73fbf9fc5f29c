// An OpenID provider for tests, on npm oidc-provider 9: the municipal broker
// side of the citizen portal's OIDC sign-in.
//
//   node tests/peers/oidc_op.mjs --port 0
//
// prints one JSON line {"issuer", "url"} and serves on 127.0.0.1 until SIGTERM.
//   POST /admin/clients  JSON {client_id, client_secret, redirect_uris[],
//                        token_endpoint_auth_method?, id_token_signed_response_alg?}
//                        registers (or replaces) a confidential client -> 204
//   GET  /interaction/:uid       the login page (name, level) of a pending authorization
//   POST /interaction/:uid/login logs in, grants consent, redirects back to the provider
// Everything else (discovery, /auth, /token, /jwks, /me) is oidc-provider's own.
// Authorization code flow only, PKCE (S256) required, the ID token carries the
// STORK-QAA level chosen at login as `acr` and the profile/email/address claims.
import { createServer } from 'node:http';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const LEVELS = ['STORK-QAA-Level-1', 'STORK-QAA-Level-2', 'STORK-QAA-Level-3', 'STORK-QAA-Level-4'];

// --- storage: one in-memory map for every oidc-provider model -----------------
// Clients registered through /admin/clients are stored as `Client` entries, so
// the provider finds them like any adapter-backed client.
const store = new Map(); // `${model}:${id}` -> { payload, expiresAt }

class MemoryAdapter {
  constructor(model) { this.model = model; }
  key(id) { return `${this.model}:${id}`; }
  async upsert(id, payload, expiresIn) {
    store.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
  }
  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) { store.delete(this.key(id)); return undefined; }
    return entry.payload;
  }
  async findByField(field, value) {
    for (const [k, { payload, expiresAt }] of store) {
      if (k.startsWith(`${this.model}:`) && payload[field] === value && expiresAt > Date.now()) return payload;
    }
    return undefined;
  }
  findByUid(uid) { return this.findByField('uid', uid); }
  findByUserCode(userCode) { return this.findByField('userCode', userCode); }
  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) { store.delete(this.key(id)); }
  async revokeByGrantId(grantId) {
    for (const [k, { payload }] of store) if (payload.grantId === grantId) store.delete(k);
  }
}

// --- accounts: whoever types a name at login --------------------------------------
// The account id, which oidc-provider sends as `sub`, is a stable hash of the
// normalised name; the names seen at login are kept to answer findAccount.
const names = new Map(); // accountId -> name

function accountFor(name) {
  const words = name.trim().split(/\s+/);
  const normalised = words.join(' ').toLowerCase();
  const family = words.length > 1 ? words.at(-1) : name.trim();
  const given = words.length > 1 ? words.slice(0, -1).join(' ') : '';
  return {
    sub: createHash('sha256').update(`sub:${normalised}`).digest('base64url'),
    given_name: given,
    family_name: family,
    birthdate: '1964-08-12',
    email: `${words.map((w) => w.toLowerCase()).join('.').replace(/[^a-z0-9.]/g, '') || 'anonym'}@example.org`,
    email_verified: true,
    address: { formatted: `Heidestraße 17, 51147 Köln`, street_address: 'Heidestraße 17', postal_code: '51147', locality: 'Köln', country: 'DE' },
  };
}

function jwkPair(kind) {
  const { privateKey } = kind === 'RSA'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: `${kind.toLowerCase()}-${randomBytes(6).toString('hex')}`, use: 'sig', alg: kind === 'RSA' ? 'RS256' : 'ES256' };
}

function makeProvider(issuer) {
  return new Provider(issuer, {
    adapter: MemoryAdapter,
    jwks: { keys: [jwkPair('RSA'), jwkPair('EC')] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    acrValues: LEVELS,
    scopes: ['openid', 'profile', 'email', 'address'],
    claims: {
      openid: ['sub'],
      profile: ['given_name', 'family_name', 'birthdate'],
      email: ['email', 'email_verified'],
      address: ['address'],
    },
    // The scope claims go into the ID token too, not only to /me.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256'] },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      if (!names.has(id)) return undefined;
      const claims = accountFor(names.get(id));
      return { accountId: id, claims: async () => claims };
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Fehler', `<pre>${escapeHtml(JSON.stringify(out, null, 2))}</pre>`);
    },
  });
}

// --- pages --------------------------------------------------------------------------
function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>
`;
}

function loginPage(uid, clientId, requestedAcr) {
  const wanted = (requestedAcr || '').split(' ').find((l) => LEVELS.includes(l)) || LEVELS[0];
  const options = LEVELS.map((l) => `<option value="${l}"${l === wanted ? ' selected' : ''}>${l}</option>`).join('');
  return page('Test-OP: Anmeldung', `<p>Anmeldung für <code>${escapeHtml(clientId)}</code></p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<p><label for="name">Name</label> <input type="text" id="name" name="name" value="Erika Mustermann"></p>
<p><label for="level">Vertrauensniveau</label> <select id="level" name="level">${options}</select></p>
<p><button type="submit" id="login">Anmelden</button></p>
</form>`);
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body = '', type = 'text/html; charset=utf-8') {
  res.writeHead(status, body ? { 'content-type': type, 'cache-control': 'no-store' } : {});
  res.end(body);
}

// --- our routes in front of the provider ---------------------------------------------
async function registerClient(req, res) {
  const c = JSON.parse(await readBody(req));
  if (!c.client_id || !c.client_secret || !Array.isArray(c.redirect_uris) || !c.redirect_uris.length) {
    return send(res, 400, 'client_id, client_secret and redirect_uris are required', 'text/plain');
  }
  const alg = c.id_token_signed_response_alg || 'RS256';
  const method = c.token_endpoint_auth_method || 'client_secret_basic';
  if (!['RS256', 'ES256'].includes(alg) || !['client_secret_basic', 'client_secret_post'].includes(method)) {
    return send(res, 400, 'unsupported id_token_signed_response_alg or token_endpoint_auth_method', 'text/plain');
  }
  await new MemoryAdapter('Client').upsert(c.client_id, {
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: method,
    id_token_signed_response_alg: alg,
  });
  send(res, 204);
}

async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page('Fehler', '<p>Unbekannte Anmeldung.</p>'));
  if (!action) {
    return send(res, 200, loginPage(uid, details.params.client_id, details.params.acr_values));
  }
  const form = new URLSearchParams(await readBody(req));
  const name = (form.get('name') || '').trim() || 'Erika Mustermann';
  const level = form.get('level');
  if (!LEVELS.includes(level)) return send(res, 400, page('Fehler', '<p>Unbekanntes Niveau.</p>'));
  const accountId = accountFor(name).sub;
  names.set(accountId, name);
  // Consent is implied: grant every requested scope (and the claims they carry).
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId, acr: level, amr: ['eid'], remember: false },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const server = createServer();
server.listen(Number(args.port), '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  const provider = makeProvider(url);
  const callback = provider.callback();
  // Errors must not go unnoticed in a test log, but must not kill the peer either.
  provider.on('server_error', (_ctx, err) => process.stderr.write(`oidc_op: server_error ${err.stack}\n`));
  server.on('request', (req, res) => {
    const path = req.url.split('?')[0];
    const m = path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
    let handled;
    if (req.method === 'POST' && path === '/admin/clients') handled = registerClient(req, res);
    else if (m && (req.method === 'GET' || m[2])) handled = interaction(provider, req, res, m[1], Boolean(m[2]));
    else return callback(req, res);
    handled.catch((err) => {
      process.stderr.write(`oidc_op: ${req.method} ${path}: ${err.stack}\n`);
      if (!res.headersSent) send(res, 400, page('Fehler', `<p>${escapeHtml(err.message)}</p>`));
      else res.end();
    });
  });
  process.stdout.write(`${JSON.stringify({ issuer: url, url })}\n`);
});
function shutdown() { server.close(() => process.exit(0)); server.closeAllConnections(); }
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
