// Starts the protocol peers of Passwerk for tests: a BundID-like SAML IdP
// (tests/peers/saml_idp.py, pysaml2) and an OpenID provider
// (tests/peers/oidc_op.mjs, oidc-provider) for the citizen sign-in, and an
// SMTP server (npm smtp-server, in this process) for the portal's e-mail. All
// bind 127.0.0.1 on a free port. Call stop() in an `after` hook, so that they
// go away when a test fails too.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const PEERS = new URL('../peers/', import.meta.url).pathname;
export const PYTHON = '/usr/bin/python3'; // Debian's, which has pysaml2

// Spawns a peer and resolves with the JSON object of its first stdout line.
function spawnPeer(cmd, args, what) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const ready = new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within 30 s: ${out}\n${stderr}`));
    }, 30000);
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready: ${out}\n${stderr}`));
    };
    child.on('exit', onExit);
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout.resume();
      try { resolve(JSON.parse(out.slice(0, nl))); } catch (e) { reject(new Error(`${what}: bad first line ${out}`)); }
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { child, ready, stop, stderr: () => stderr };
}

async function expectOk(res, what) {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

// The SAML IdP. registerSp(metadataXml) registers or replaces an SP;
// makeResponse({samlRequest, level, name, variant, eidLevel, signResponse}) returns
// the base64 SAMLResponse for that AuthnRequest (variants: see tests/peers/README.md).
export async function startSamlIdp() {
  const workdir = mkdtempSync(join(tmpdir(), 'passwerk-idp-'));
  const peer = spawnPeer(PYTHON, [join(PEERS, 'saml_idp.py'), '--port', '0', '--workdir', workdir], 'SAML IdP');
  let info;
  try {
    info = await peer.ready;
  } catch (e) {
    rmSync(workdir, { recursive: true, force: true });
    throw e;
  }
  return {
    url: info.url,
    entityId: info.entity_id,
    metadataPath: info.metadata,
    workdir,
    stderr: peer.stderr,
    async registerSp(metadataXml) {
      await expectOk(await fetch(`${info.url}/admin/sp`, {
        method: 'POST', headers: { 'content-type': 'application/samlmetadata+xml' }, body: metadataXml,
      }), 'SAML IdP /admin/sp');
    },
    async makeResponse({ samlRequest, level, name, variant = 'valid', eidLevel, signResponse } = {}) {
      const res = await expectOk(await fetch(`${info.url}/test/response`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          saml_request: samlRequest, level, name, variant, eid_level: eidLevel, sign_response: signResponse,
        }),
      }), 'SAML IdP /test/response');
      return (await res.json()).SAMLResponse;
    },
    async stop() {
      await peer.stop();
      rmSync(workdir, { recursive: true, force: true });
    },
  };
}

// The OpenID provider. registerClient({client_id, client_secret, redirect_uris,
// token_endpoint_auth_method?, id_token_signed_response_alg?}) registers a client.
export async function startOidcProvider() {
  const peer = spawnPeer(process.execPath, [join(PEERS, 'oidc_op.mjs'), '--port', '0'], 'OpenID provider');
  const info = await peer.ready;
  return {
    issuer: info.issuer,
    url: info.url,
    stderr: peer.stderr,
    async registerClient(client) {
      await expectOk(await fetch(`${info.url}/admin/clients`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(client),
      }), 'OpenID provider /admin/clients');
    },
    stop: peer.stop,
  };
}

// A port free on 127.0.0.1 just now (for a peer that starts later on a port
// the server under test was configured with).
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// An SMTP server that keeps what it receives. Options:
//   port        0 (a free one) or a given port (a peer that comes back where it was)
//   refuseFirst the first N mail transactions get a temporary 451, the odd
//               ones at RCPT TO, the even ones after DATA (the sender must retry)
//   starttls    offer STARTTLS with a throwaway self-signed certificate for
//               127.0.0.1 (returned as caFile) and refuse MAIL before it (530)
//   secure      TLS from the first byte instead (smtps://), same certificate
//   auth        {user, pass}: AUTH PLAIN or LOGIN required before MAIL
//   ignore      recipients whose mail is taken and dropped, neither counted nor
//               kept nor refused (default: the demo's own recipients, whose mail
//               `passwerk demo` queues — its volunteer organisation)
// It runs in this process: while the test blocks in a synchronous child
// process (execFileSync, e.g. `passwerk mail test`), it cannot answer, so
// start such commands with the asynchronous execFile.
// Returns {url, port, host, caFile, messages, waitForMessages(n, timeoutMs),
// refused, transactions, stop()}. Each message: {from, to, subject, text,
// raw, headers (lower-case name → mailparser's value), envelope {from, to[]},
// user (the AUTH user or null), secure (whether the session was TLS)}.
export const DEMO_MAIL_RECIPIENTS = ['vorstand@tsv-kellenhusen.example'];

export async function startSmtpServer({ port = 0, refuseFirst = 0, starttls = false, secure = false,
  auth = null, ignore = DEMO_MAIL_RECIPIENTS } = {}) {
  let certDir = null;
  const tlsOptions = {};
  if (starttls || secure) {
    certDir = mkdtempSync(join(tmpdir(), 'passwerk-smtp-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: ['ignore', 'ignore', 'pipe'] });
    tlsOptions.key = readFileSync(join(certDir, 'key.pem'));
    tlsOptions.cert = readFileSync(join(certDir, 'cert.pem'));
  }
  const state = { messages: [], refused: 0, transactions: 0 };
  const disabled = [];
  if (!starttls) disabled.push('STARTTLS');
  if (!auth) disabled.push('AUTH');
  const refusalAt = (txn) => (txn <= refuseFirst ? (txn % 2 === 1 ? 'rcpt' : 'data') : null);
  const smtp = new SMTPServer({
    ...tlsOptions,
    secure,
    logger: false,
    banner: 'Passwerk test SMTP peer',
    disableReverseLookup: true,
    disabledCommands: disabled,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !auth,
    allowInsecureAuth: !!auth && !starttls && !secure,
    closeTimeout: 50,
    onAuth(credentials, session, callback) {
      if (auth && credentials.username === auth.user && credentials.password === auth.pass) {
        return callback(null, { user: credentials.username });
      }
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onMailFrom(address, session, callback) {
      if (starttls && !session.secure) {
        return callback(Object.assign(new Error('Must issue a STARTTLS command first'), { responseCode: 530 }));
      }
      // A new transaction (also on a reused connection): counted at its first recipient.
      session.passwerkTxn = 0;
      session.passwerkIgnored = false;
      return callback();
    },
    onRcptTo(address, session, callback) {
      if (ignore.includes(address.address)) {
        session.passwerkIgnored = true;
        return callback();
      }
      if (!session.passwerkTxn) {
        state.transactions += 1;
        session.passwerkTxn = state.transactions;
      }
      if (refusalAt(session.passwerkTxn) === 'rcpt') {
        state.refused += 1;
        return callback(Object.assign(new Error('Try again later (test refusal at RCPT)'), { responseCode: 451 }));
      }
      return callback();
    },
    onData(stream, session, callback) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', async () => {
        if (session.passwerkIgnored && !session.passwerkTxn) return callback();
        if (refusalAt(session.passwerkTxn) === 'data') {
          state.refused += 1;
          return callback(Object.assign(new Error('Try again later (test refusal after DATA)'), { responseCode: 451 }));
        }
        const raw = Buffer.concat(chunks);
        try {
          const parsed = await simpleParser(raw);
          state.messages.push({
            from: parsed.from?.text ?? null,
            to: parsed.to?.text ?? null,
            subject: parsed.subject ?? null,
            text: parsed.text ?? '',
            html: parsed.html || null,
            raw: raw.toString('utf8'),
            headers: Object.fromEntries(parsed.headers),
            envelope: { from: session.envelope.mailFrom?.address ?? null,
              to: session.envelope.rcptTo.map((r) => r.address) },
            user: session.user ?? null,
            secure: !!session.secure,
          });
          return callback(null, 'OK: kept by the test peer');
        } catch (e) {
          return callback(Object.assign(new Error(`unparsable message: ${e.message}`), { responseCode: 554 }));
        }
      });
    },
  });
  smtp.on('error', () => {}); // a client dropping its connection is no reason to stop
  try {
    await new Promise((resolve, reject) => {
      smtp.server.once('error', reject);
      smtp.listen(port, '127.0.0.1', () => { smtp.server.off('error', reject); resolve(); });
    });
  } catch (e) {
    if (certDir) rmSync(certDir, { recursive: true, force: true });
    throw e;
  }
  const bound = smtp.server.address().port;
  let stopped = false;
  return {
    url: `${secure ? 'smtps' : 'smtp'}://127.0.0.1:${bound}`,
    host: '127.0.0.1',
    port: bound,
    caFile: certDir ? join(certDir, 'cert.pem') : null,
    messages: state.messages,
    get refused() { return state.refused; },
    get transactions() { return state.transactions; },
    // Resolves with the messages once at least n arrived; rejects after timeoutMs.
    async waitForMessages(n, timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      while (state.messages.length < n) {
        if (Date.now() > deadline) {
          throw new Error(`SMTP peer: ${state.messages.length} of ${n} messages after ${timeoutMs} ms `
            + `(${state.transactions} transactions, ${state.refused} refused): `
            + JSON.stringify(state.messages.map((m) => ({ to: m.envelope.to, subject: m.subject }))));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return state.messages;
    },
    // Closes the listener and any open session (421), so the port refuses from now on.
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise((resolve) => smtp.close(resolve));
      if (certDir) rmSync(certDir, { recursive: true, force: true });
    },
  };
}
