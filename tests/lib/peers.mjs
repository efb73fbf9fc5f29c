// Starts the protocol peers of the citizen sign-in for tests: a BundID-like
// SAML IdP (tests/peers/saml_idp.py, pysaml2) and an OpenID provider
// (tests/peers/oidc_op.mjs, oidc-provider). Both bind 127.0.0.1 on a free port.
// Call stop() in an `after` hook, so that they go away when a test fails too.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
