// Who may do what is decided in src/accounts/ alone (accounts/policy.h): no
// handler, page or domain service compares roles or looks at whether the
// actor came with a token. This keeps it so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const src = join(root, 'src');

function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'testing') out.push(...sources(path));
    } else if (/\.(cpp|h)$/.test(name) && !/_test\.cpp$/.test(name)) {
      out.push(path);
    }
  }
  return out;
}

// A role compared with a role constant, or the token flag read, outside accounts/.
const DECISION = /\brole\s*[!=]=\s*(accounts::)?Role::k|Role::k\w+\s*[!=]=|\bvia_token\b/;

test('access is decided in src/accounts/ only', () => {
  const found = [];
  for (const file of sources(src)) {
    const where = relative(root, file);
    if (where.startsWith('src/accounts/')) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (DECISION.test(line)) found.push(`${where}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, [], 'ask accounts::Can / accounts::Require instead');
});
