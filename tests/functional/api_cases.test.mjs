// Runs every tests/api/*.http case file against the real binary, on SQLite
// and on PostgreSQL, each file on a fresh server with the demo dataset.
import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, passwerk } from '../lib/server.mjs';
import { parseCases, runCase } from '../lib/http_cases.mjs';
import { engines } from '../lib/engines.mjs';

const casesDir = new URL('../api/', import.meta.url).pathname;

function createToken(dataDir, env, username, scopes) {
  const out = passwerk(['token', 'create', '--data', dataDir, '--username', username, '--name', 'test',
    '--scopes', scopes], { env });
  const match = out.match(/secret \(shown once, store it now\): (\S+)/);
  if (!match) throw new Error(`no token in: ${out}`);
  return match[1];
}

for (const engine of engines()) {
  for (const file of readdirSync(casesDir).filter((f) => f.endsWith('.http')).sort()) {
    test(`${engine.name}: ${file}`, async (t) => {
      const db = engine.setup();
      const server = await startServer({ pgUrl: db.pgUrl });
      try {
        const vars = {
          operator_token: createToken(server.dataDir, server.env, 'operator', 'users:read,users:write,audit:read'),
          reader_token: createToken(server.dataDir, server.env, 'auditor', 'users:read'),
          admin_token: createToken(server.dataDir, server.env, 'admin', 'users:read,users:write,audit:read'),
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
