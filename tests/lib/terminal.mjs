// A terminal in JavaScript for the tests (docs/terminal-protocol.md): Ed25519
// login with a demo key file, transactions built by kind, batch upload. And
// the July 2026 that the settlement tests and docs/settlement.md settle.
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';

// Ed25519 private keys in PKCS#8 are this prefix and the 32-byte seed the key file holds.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

// A card that is not in service: its transactions are accepted with the
// conflict unknown_card. Settlement counts them all the same.
export const UNKNOWN_CARD = {
  card_number: '103000000044', circulation_counter: 1, municipality_number: '01055021', issuing_office: '0',
};

// A terminal's key file (passwerk-terminal-key-v1, TID, base64 seed) as {tid, key}.
export function readTerminalKey(path) {
  const [magic, tid, seed] = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(magic, 'passwerk-terminal-key-v1');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, Buffer.from(seed, 'base64')]), format: 'der',
    type: 'pkcs8' });
  return { tid, key };
}

// The login signature (docs/terminal-protocol.md §1) of `challenge` for `tid`, base64.
export function signLogin(key, tid, challenge) {
  return sign(null, Buffer.from(`passwerk-terminal-login-v1\n${tid}\n${challenge}`), key).toString('base64');
}

// Logs the demo terminal `t` ({tid, key_file, provider}) in at `base`.
export async function loginTerminal(base, t, card = UNKNOWN_CARD) {
  const { tid, key } = readTerminalKey(t.key_file);
  const post = async (path, body, session) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(session ? { authorization: `Bearer ${session}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    assert.equal(response.status, 200, `${path}: ${text}`);
    return JSON.parse(text);
  };
  const { challenge } = await post('/api/terminal/v1/challenge', { tid });
  const signature = signLogin(key, tid, challenge);
  const { session } = await post('/api/terminal/v1/login', { tid, challenge, signature });
  let booking = 0;
  const main = (kind, at) => ({ booking_number: ++booking, at, vu_number: t.provider, operator: '1', kind });
  return {
    session,
    async syncData() {
      const response = await fetch(`${base}/api/terminal/v1/sync-data`,
        { headers: { authorization: `Bearer ${session}` } });
      assert.equal(response.status, 200);
      return response.json();
    },
    sell: (at, packageNumber, price, method) => ({
      ...main('purchase', at),
      sales: [{ position: 1, ...card, package_number: packageNumber, price_cents: price, written: true }],
      payment: { method, amount_cents: price },
    }),
    accept: (at, service, packageNumber) => ({
      ...main('acceptance', at), consumption: { ...card, service_number: service, package_number: packageNumber },
    }),
    async upload(transactions) {
      const { results } = await post('/api/terminal/v1/transactions', { protocol: 1, transactions }, session);
      for (const r of results) assert.equal(r.result, 'accepted', JSON.stringify(r));
      return results;
    },
  };
}

// The server's environment for tests that upload the fixed July 2026 below:
// an upload window reaching back to it (terminal_upload_window_days; the demo's
// terminals are registered as of 2026-01-01).
export const JULY_2026_ENV = { PASSWERK_TERMINAL_UPLOAD_WINDOW_DAYS: '3660' };

// July 2026 at the demo's pool (100200) and bus (100300): 9001 sold twice and
// accepted three times, 9002 sold and never accepted, 9003 (fixed shares)
// sold once. False when the demo has no terminals.
export async function uploadDemoJuly(base, demo) {
  const terminals = demo.terminals ?? [];
  const pool = terminals.find((t) => t.provider === '100200');
  const bus = terminals.find((t) => t.provider === '100300');
  if (!pool || !bus) return false;
  const p = await loginTerminal(base, pool);
  await p.upload([
    p.sell('2026-07-02T10:00:00', '9001', 2900, 'cash'),
    p.sell('2026-07-03T10:00:00', '9003', 2500, 'card'),
    p.accept('2026-07-02T11:00:00', '201', '9001'),
    p.accept('2026-07-04T11:00:00', '202', '9001'),
  ]);
  const b = await loginTerminal(base, bus);
  await b.upload([
    b.sell('2026-07-05T09:00:00', '9001', 2900, 'card'),
    b.sell('2026-07-06T09:00:00', '9002', 1200, 'cash'),
    b.accept('2026-07-05T09:30:00', '301', '9001'),
  ]);
  return true;
}
