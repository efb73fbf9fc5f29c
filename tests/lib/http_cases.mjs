// Reads the readable API case files in tests/api (*.http) and checks them
// against a running server: request → expected status and JSON subset.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

export function parseCases(path) {
  const text = readFileSync(path, 'utf8');
  const cases = [];
  for (const block of text.split(/^### /m).slice(1)) {
    const lines = block.split('\n');
    const title = lines.shift().trim();
    const sep = lines.findIndex((l) => l === '---');
    if (sep < 0) throw new Error(`${path}: case "${title}" has no ---`);
    const request = lines.slice(0, sep);
    const expect = lines.slice(sep + 1).filter((l) => !l.startsWith('#'));
    const [method, target] = request.shift().split(' ');
    const headers = {};
    while (request.length && request[0].trim() !== '') {
      const line = request.shift();
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    request.shift();
    const body = request.join('\n').replace(/\n+$/, '');
    const status = Number(expect.shift());
    const expectedText = expect.join('\n').trim();
    cases.push({ title, method, target, headers, body, status, json: expectedText ? JSON.parse(expectedText) : null });
  }
  return cases;
}

// Every key of `expected` must equal the same key of `actual`; arrays match by prefix.
export function assertSubset(actual, expected, where = '$') {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array, got ${JSON.stringify(actual)}`);
    assert.ok(actual.length >= expected.length, `${where}: expected at least ${expected.length} items`);
    expected.forEach((item, i) => assertSubset(actual[i], item, `${where}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${where}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [key, value] of Object.entries(expected)) assertSubset(actual[key], value, `${where}.${key}`);
  } else {
    assert.deepEqual(actual, expected, `${where}`);
  }
}

export async function runCase(baseUrl, testCase, vars) {
  const fill = (s) => s.replace(/\{\{(\w+)\}\}/g, (_, name) => {
    if (!(name in vars)) throw new Error(`unknown variable ${name}`);
    return vars[name];
  });
  const headers = Object.fromEntries(Object.entries(testCase.headers).map(([k, v]) => [k, fill(v)]));
  const response = await fetch(baseUrl + fill(testCase.target), {
    method: testCase.method, headers, body: testCase.body ? fill(testCase.body) : undefined,
  });
  const text = await response.text();
  assert.equal(response.status, testCase.status, `${testCase.title}: status ${response.status}, body ${text}`);
  if (testCase.json !== null) {
    let actual;
    try { actual = JSON.parse(text); } catch { assert.fail(`${testCase.title}: body is not JSON: ${text}`); }
    assertSubset(actual, testCase.json);
  }
  return response;
}
