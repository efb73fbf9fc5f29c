// Runs the examples of docs/settlement.md against the real binary with the
// demo dataset and a July uploaded by the demo's terminals, on every engine:
// each ```sh block is run with bash, and its output must equal the ```json or
// ```csv block that follows (times are compared by their shape; CSV without
// its byte-order mark and with LF line ends, as the page shows it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { engines } from '../lib/engines.mjs';
import { startServer } from '../lib/server.mjs';
import { createToken } from '../lib/guest_fixture.mjs';
import { JULY_2026_ENV, uploadDemoJuly } from '../lib/terminal.mjs';

const doc = readFileSync(new URL('../../docs/settlement.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```sh\n([\s\S]*?)```\n```(json|csv)\n([\s\S]*?)```/g)].map((m) => ({
  command: m[1], kind: m[2], expected: m[3],
}));

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
function shaped(value) {
  if (Array.isArray(value)) return value.map(shaped);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k,
      (k === 'created_at' || k === 'closed_at') && typeof v === 'string' ? (TIME.test(v) ? '<time>' : `bad ${v}`)
        : shaped(v)]));
  }
  return value;
}

for (const engine of engines()) {
  test(`${engine.name}: docs/settlement.md examples produce the documented answers`, async () => {
    assert.ok(examples.length >= 5, 'the examples were found');
    const db = engine.setup();
    const server = await startServer({ pgUrl: db.pgUrl, env: JULY_2026_ENV });
    try {
      assert.ok(await uploadDemoJuly(server.url, server.demo), 'the demo has terminals');
      const token = createToken(server, 'admin', 'settlement:write', 'docs');
      for (const { command, kind, expected } of examples) {
        const out = execFileSync('bash', ['-c', command], {
          encoding: 'utf8', env: { ...process.env, PASSWERK: server.url, TOKEN: token },
        });
        if (kind === 'json') {
          assert.deepEqual(shaped(JSON.parse(out)), shaped(JSON.parse(expected)), command);
        } else {
          assert.ok(out.startsWith('\uFEFF'), 'Excel needs the byte-order mark');
          assert.equal(out.slice(1).replace(/\r\n/g, '\n'), expected, command);
        }
      }
    } finally {
      await server.stop();
      db.cleanup();
    }
  });
}
