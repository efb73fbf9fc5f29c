// Starts the real passwerk binary for functional and browser tests: a fresh
// data directory, the demo dataset, `serve` on a free port; stops it after.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';

export const BIN = process.env.PASSWERK_BIN || new URL('../../build/debug/passwerk', import.meta.url).pathname;

// Runs a passwerk subcommand synchronously; returns stdout (throws on non-zero exit).
export function passwerk(args, opts = {}) {
  return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function serverEnv(env, pgUrl) {
  // Scheduled retention is off unless a test asks for it: the fixtures use
  // past stays, and a run racing a test would unlink its cards mid-test.
  const fullEnv = { ...process.env, PASSWERK_ACCESS_LOG: 'false', PASSWERK_RETENTION_INTERVAL_MINUTES: '0', ...env };
  if (pgUrl) fullEnv.PASSWERK_DATABASE_URL = pgUrl;
  return fullEnv;
}

// The demo dataset once, to be copied for many servers (`passwerk demo` costs
// more than the rest of a server start): a data directory, and with pgUrl the
// database, which a copy takes as its template (engines.mjs). remove() deletes
// the directory.
export function demoTemplate({ pgUrl = null } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'passwerk-template-'));
  const demo = JSON.parse(passwerk(['demo', '--data', dataDir], { env: serverEnv({}, pgUrl) }));
  return { dataDir, demo, remove: () => rmSync(dataDir, { recursive: true, force: true }) };
}

// Starts a server. Options: env (extra environment), demo (default true),
// pgUrl (use PostgreSQL at that URL instead of SQLite), dataDir (reuse one),
// template (a demoTemplate() to copy instead of running the demo; with
// PostgreSQL, pgUrl must be a database made from the template's).
export async function startServer({ env = {}, demo = true, pgUrl = null, dataDir = null, template = null } = {}) {
  dataDir = dataDir || mkdtempSync(join(tmpdir(), 'passwerk-test-'));
  const fullEnv = serverEnv(env, pgUrl);
  let demoData = null;
  if (template) {
    cpSync(template.dataDir, dataDir, { recursive: true });
    // Paths in the demo's answer (the terminals' key files) point into the copy.
    demoData = JSON.parse(JSON.stringify(template.demo).replaceAll(template.dataDir, dataDir));
  } else if (demo) {
    demoData = JSON.parse(passwerk(['demo', '--data', dataDir], { env: fullEnv }));
  }
  const child = spawn(BIN, ['serve', '--data', dataDir, '--listen', '127.0.0.1:0'], {
    env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}\n${stderr}`)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${out}\n${stderr}`)); });
  });
  child.stdout.resume();
  return {
    url, dataDir, demo: demoData, child, env: fullEnv,
    stderr: () => stderr,
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
        child.kill('SIGTERM');
        const result = await exited;
        if (!keepData) rmSync(dataDir, { recursive: true, force: true });
        return result;
      }
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
      return { code: child.exitCode };
    },
  };
}

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) from a base32 secret.
export function totp(secretBase32, unixSeconds = Date.now() / 1000) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secretBase32.replace(/[=\s]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error('bad base32');
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', Buffer.from(bytes)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return code.toString().padStart(6, '0');
}
