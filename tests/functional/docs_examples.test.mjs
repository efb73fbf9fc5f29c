// Runs the curl examples of docs/partner-check.md against the real binary
// with the demo dataset: each ```sh block is run with bash, its output must
// equal the JSON block that follows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startServer } from '../lib/server.mjs';

const doc = readFileSync(new URL('../../docs/partner-check.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```sh\n([\s\S]*?)```\n```json\n([\s\S]*?)```/g)].map((m) => ({
  command: m[1], expected: m[2],
}));

test('docs/partner-check.md examples produce the documented answers', async () => {
  assert.ok(examples.length >= 4, 'the examples were found');
  const server = await startServer();
  try {
    const pc = server.demo.partner_check;
    const card = pc.cards.find((c) => c.expect.valid).card_number;
    const berlinYear = new Intl.DateTimeFormat('en', { timeZone: 'Europe/Berlin', year: 'numeric' }).format(new Date());
    const validUntil = `${berlinYear}-12-31`;
    for (const { command, expected } of examples) {
      const out = execFileSync('bash', ['-c', command], {
        encoding: 'utf8',
        env: { ...process.env, PASSWERK: server.url, KEY: pc.server_key, CARD: card },
      });
      assert.deepEqual(JSON.parse(out), JSON.parse(expected.replace('$VALID_UNTIL', validUntil)), command);
    }
  } finally {
    await server.stop();
  }
});
