// docs/openapi.yaml is a description tools accept, and describes exactly the
// API routes the real binary's router serves (`passwerk routes`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { BIN } from '../lib/server.mjs';

const SPEC = fileURLToPath(new URL('../../docs/openapi.yaml', import.meta.url));
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// The router entries the description covers: everything under /api/, and the
// few machine endpoints outside it that clients other than browsers call —
// /healthz, /readyz and /metrics (monitoring) and /.well-known/ (partners'
// servers fetch the verdict key there). Web pages, their form posts and
// /static/ assets are for browsers and are not part of the API description.
function isApiRoute(pattern) {
  return pattern.startsWith('/api/') || pattern.startsWith('/.well-known/') ||
    ['/healthz', '/readyz', '/metrics'].includes(pattern);
}

// Capture names don't matter to the router: `{tid}` and `{terminal_id}` match the same paths.
const shape = (path) => path.replace(/\{[^}]*\}/g, '{}');

// "METHOD /path [scope]" of every API router entry, as the binary lists them.
function routerRoutes() {
  let out;
  // `routes` wires the server as `serve` does, so it opens (and creates) a data directory.
  const dataDir = mkdtempSync(join(tmpdir(), 'passwerk-routes-'));
  try {
    out = execFileSync(BIN, ['routes', '--data', dataDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    assert.fail(`\`${BIN} routes\` failed; the binary must list its router entries as "METHOD PATTERN" lines.\n` +
      err.message);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = lines.filter((l) => !/^[A-Z]+ \/\S*( [a-z_]+:(read|write|decide))?$/.test(l));
  assert.deepEqual(bad, [], '`passwerk routes` prints one "METHOD PATTERN [SCOPE]" per line');
  const routes = lines.map((l) => l.split(' ')).filter(([, pattern]) => isApiRoute(pattern))
    .map(([method, pattern, scope]) => `${method} ${shape(pattern)}${scope ? ` ${scope}` : ''}`);
  assert.ok(routes.length > 0, '`passwerk routes` lists API routes');
  return routes;
}

// "METHOD /path [scope]" of every described operation (its `x-scope`). A path parameter with an
// `enum` stands for one router entry per value, so it is expanded.
function describedRoutes(api) {
  const routes = [];
  for (const [path, item] of Object.entries(api.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const params = new Map();
      for (const p of [...(item.parameters || []), ...(operation.parameters || [])]) {
        if (p.in === 'path') params.set(p.name, p);
      }
      let paths = [path];
      for (const [name, p] of params) {
        const values = p.schema && p.schema.enum;
        if (!values) continue;
        paths = paths.flatMap((each) => values.map((v) => each.replaceAll(`{${name}}`, String(v))));
      }
      const scope = operation['x-scope'] ? ` ${operation['x-scope']}` : '';
      for (const each of paths) routes.push(`${method.toUpperCase()} ${shape(each)}${scope}`);
    }
  }
  return routes;
}

const duplicates = (list) => [...new Set(list.filter((x, i) => list.indexOf(x) !== i))];

test('docs/openapi.yaml passes swagger-parser validation', async () => {
  try {
    await SwaggerParser.validate(SPEC);
  } catch (err) {
    assert.fail(`docs/openapi.yaml is not a valid OpenAPI description:\n${err.message}`);
  }
});

test('docs/openapi.yaml describes every API route of the router with its token scope, and only those', async () => {
  const router = routerRoutes();
  const described = describedRoutes(await SwaggerParser.dereference(SPEC));
  assert.deepEqual(duplicates(described), [], 'no router entry is described twice');
  const inRouter = new Set(router);
  const inSpec = new Set(described);
  const undescribed = [...inRouter].filter((r) => !inSpec.has(r)).sort();
  const unserved = [...inSpec].filter((r) => !inRouter.has(r)).sort();
  const list = (xs) => (xs.length ? xs.map((x) => `  ${x}`).join('\n') : '  (none)');
  assert.ok(undescribed.length === 0 && unserved.length === 0,
    `router and docs/openapi.yaml differ ({} stands for any path parameter; the scope is x-scope)\n` +
    `in the router, missing from docs/openapi.yaml:\n${list(undescribed)}\n` +
    `in docs/openapi.yaml, not served by the router:\n${list(unserved)}`);
});
