// The case-file format itself (tests/lib/http_cases.mjs), against a small
// canned server instead of passwerk: captures carry values to later cases,
// a capture or check of something that is not there fails and says what,
// variables do arithmetic on numbers and dates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillVariables, parseCases, runCase } from '../lib/http_cases.mjs';

let server;
let base;
let dir;

before(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (d) => { body += d; });
    request.on('end', () => {
      if (request.url === '/csv') {
        response.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', Location: '/csv/1' });
        response.end('\uFEFFa;b\r\n1;2\r\n');
        return;
      }
      response.writeHead(request.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ path: request.url, echo: body ? JSON.parse(body) : null,
        items: [{ number: 'N-1', n: 1 }, { number: 'N-2', n: 2 }] }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  dir = mkdtempSync(join(tmpdir(), 'passwerk-cases-'));
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function cases(text) {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.http`);
  writeFileSync(file, text);
  return parseCases(file);
}

async function runAll(text, vars = {}) {
  for (const c of cases(text)) await runCase(base, c, vars);
  return vars;
}

test('a captured value is used by the later cases', async () => {
  const vars = await runAll(`
### make
POST /things
Content-Type: application/json

{"number": "N-7", "count": 3}
---
201
{"echo": {"number": "N-7"}}
@capture number = $.echo.number
@capture count = $.echo.count
@capture last = $.items[-1]
@capture where = header Content-Type

### use
GET /things/{{number}}?next={{count+1}}
---
200
{"path": "/things/N-7?next=4"}
@expect $.items[1] == {{last}}
@expect $.items.length == 2
@expect $.items contains {"n": 2}
@expect $.path ~ /^\\/things\\/N-\\d\\?next=4$/
@expect $.path != "/elsewhere"
@absent $.items[0].secret
@absent $.items[2]
@absent header Location
`);
  assert.equal(vars.number, 'N-7');
  assert.equal(vars.count, 3);
  assert.deepEqual(vars.last, { number: 'N-2', n: 2 });
  assert.equal(vars.where, 'application/json');
});

test('headers and the raw body, byte-order mark included, can be checked and captured', async () => {
  const vars = await runAll(`
### csv
GET /csv
---
200
@expect header content-type == "text/csv; charset=utf-8"
@expect body ~ /^\uFEFFa;b\\r\\n1;2\\r\\n$/
@expect body !~ /3;4/
@capture location = header Location
`);
  assert.equal(vars.location, '/csv/1');
});

test('a capture whose path is not there fails the case and names the path', async () => {
  await assert.rejects(runAll(`
### make
GET /things
---
200
@capture number = $.registrations[0].number
`), /\.http:2 "make": @capture number = \$\.registrations\[0\]\.number: \$\.registrations\[0\]\.number is not in the response/);
  await assert.rejects(runAll(`
### index
GET /things
---
200
@capture third = $.items[2]
`), /\$\.items\[2\] is not in the response/);
  await assert.rejects(runAll(`
### header
GET /things
---
200
@capture where = header Location
`), /header Location is not in the response/);
});

test('failed checks name the case and the check', async () => {
  await assert.rejects(runAll(`
### exact
GET /things
---
200
@expect $.items[0] == {"number": "N-1"}
`), /"exact": @expect \$\.items\[0\] == \{"number": "N-1"\}\n  actual: \{"number":"N-1","n":1\}/);
  await assert.rejects(runAll(`
### contains
GET /things
---
200
@expect $.items contains {"n": 3}
`), /no item matches/);
  await assert.rejects(runAll(`
### status
GET /things
---
404
`), /\.http:2 "status": status 200/);
  await assert.rejects(runAll(`
### absent
GET /things
---
200
@absent $.items[1].number
`), /"absent": @absent \$\.items\[1\]\.number\n  actual: "N-2"/);
  await assert.rejects(runAll(`
### later
GET /things/{{never_captured}}
---
200
`), /unknown variable \{\{never_captured\}\}/);
});

test('a body file is sent byte for byte, with variables filled in', async () => {
  writeFileSync(join(dir, 'body.json'), '{"number": "{{number}}",\r\n "bom": "\uFEFF"}');
  const vars = await runAll(`
### from a file
POST /things
Content-Type: application/json

< body.json
---
201
{"echo": {"number": "N-9", "bom": "\uFEFF"}}
`, { number: 'N-9' });
  assert.equal(vars.number, 'N-9');
});

test('variables: numbers and dates take + and -, computed ones are called at each use', () => {
  const vars = { year: 2026, day: '2026-12-30', n: '7', name: 'x', calls: 0, counted: (v) => `call ${++v.calls}` };
  assert.equal(fillVariables('{{year+1}} {{year-1}} {{n+1}}', vars), '2027 2025 8');
  assert.equal(fillVariables('{{day+2}} {{day-30}}', vars), '2027-01-01 2026-11-30');
  assert.equal(fillVariables('{{counted}} {{counted}}', vars), 'call 1 call 2');
  assert.throws(() => fillVariables('{{name+1}}', vars), /neither a number nor a date/);
});

test('a malformed case file is refused with the case named', () => {
  assert.throws(() => cases('### no separator\nGET /x\n'), /case "no separator" has no ---/);
  assert.throws(() => cases('### bad line\nfetch /x\n---\n200\n'), /METHOD \/path/);
  assert.throws(() => cases('### bad status\nGET /x\n---\nok\n'), /is no status/);
  assert.throws(() => cases('### bad directive\nGET /x\n---\n200\n@expect $.a === 1\n'), /cannot read/);
});
