// Runs the curl examples of docs/partner-check.md and docs/guest-cards.md
// against the real binary with the demo dataset: each ```sh block is run with
// bash, its output must equal the JSON block that follows it (random values —
// registration and card numbers, barcodes, consent ids — are compared by shape).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startServer } from '../lib/server.mjs';

function examplesOf(file) {
  const doc = readFileSync(new URL(`../../docs/${file}`, import.meta.url), 'utf8');
  return [...doc.matchAll(/```sh\n([\s\S]*?)```\n```json\n([\s\S]*?)```/g)].map((m) => ({
    command: m[1], expected: m[2],
  }));
}
const examples = examplesOf('partner-check.md');

// Replaces random values by their shape, so that examples can show real-looking ones.
const SHAPES = {
  registration_number: /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/,
  card_number: /^\d{12}$/,
  barcode: /^\d{32}$/,
  marketing_consent_id: /^[0-9a-f]{32}$/,
};
function shaped(value) {
  if (Array.isArray(value)) return value.map(shaped);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SHAPES[k] && typeof v === 'string'
      ? (SHAPES[k].test(v) ? `<${k}>` : `bad ${k}: ${v}`) : shaped(v)]));
  }
  return value;
}

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

test('docs/guest-cards.md examples produce the documented answers', async () => {
  const guestExamples = examplesOf('guest-cards.md');
  assert.ok(guestExamples.length >= 2, 'the examples were found');
  const server = await startServer();
  try {
    const gc = server.demo.guest_cards;
    for (const { command, expected } of guestExamples) {
      const out = execFileSync('bash', ['-c', command], {
        encoding: 'utf8',
        env: { ...process.env, PASSWERK: server.url, TOKEN: gc.landlord_token, ACCOMMODATION: gc.accommodation_id },
      });
      assert.deepEqual(shaped(JSON.parse(out)), shaped(JSON.parse(expected)), command);
    }
  } finally {
    await server.stop();
  }
});
