// Runs every tests/api/*.http case file against the real binary, on SQLite
// and on PostgreSQL, each file on a fresh server with the demo dataset.
import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../lib/server.mjs';
import { parseCases, runCase } from '../lib/http_cases.mjs';
import { engines } from '../lib/engines.mjs';
import { createToken } from '../lib/guest_fixture.mjs';

const casesDir = new URL('../api/', import.meta.url).pathname;

// Variables from the demo dataset's partner_check block.
function demoVars(demo) {
  const pc = demo.partner_check;
  const byReason = (r) => pc.cards.find((c) => (c.expect.reason || 'valid') === r).card_number;
  const valid = byReason('valid');
  return {
    server_key: pc.server_key,
    publishable_key: pc.publishable_key,
    valid_card: valid,
    valid_card_grouped: `${valid.slice(0, 4)} ${valid.slice(4, 8)}-${valid.slice(8)}`,
    expired_card: byReason('expired'),
    blocked_card: byReason('blocked'),
    unknown_card: byReason('no_match'),
  };
}

for (const engine of engines()) {
  for (const file of readdirSync(casesDir).filter((f) => f.endsWith('.http')).sort()) {
    test(`${engine.name}: ${file}`, async (t) => {
      const db = engine.setup();
      const server = await startServer({ pgUrl: db.pgUrl });
      try {
        const vars = {
          operator_token: createToken(server, 'operator', 'users:read,users:write,audit:read,cards:write'),
          reader_token: createToken(server, 'auditor', 'users:read'),
          admin_token: createToken(server, 'admin', 'users:read,users:write,audit:read'),
          ...demoVars(server.demo),
        };
        for (const testCase of parseCases(join(casesDir, file))) {
          await t.test(testCase.title, () => runCase(server.url, testCase, vars));
        }
      } finally {
        await server.stop();
        db.cleanup();
      }
    });
  }
}
