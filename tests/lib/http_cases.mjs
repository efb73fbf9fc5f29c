// Reads the readable API case files in tests/api (*.http) and checks them
// against a running server: request → expected status, JSON and captures.
//
// A case file is a list of cases, run in order on one server (tests/api/README.md):
//
//   ### a title that says what the case shows
//   POST /api/v1/registrations                   request line: method and path
//   Authorization: Bearer {{landlord_token}}     headers, up to a blank line
//   Content-Type: application/json
//
//   {"arrival": "{{today}}", …}                  optional body; or "< bodies/file.json"
//   ---
//   201                                          the expected status
//   {"spa_tax": {"total_cents": 1200}}           optional JSON: every key given must match,
//                                                arrays by prefix
//   @expect $.cards.length == 2                  further checks, in order
//   @expect $.registration_number ~ /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/
//   @capture registration_number = $.registration_number
//
// Variables: {{name}} anywhere in the request, the body (also a body file), the
// expected JSON and the directives. {{name+N}} and {{name-N}} add to a number,
// or add days to a date YYYY-MM-DD ({{today+7}}, {{year-1}}). Strings are
// inserted as they are, other values as JSON (a captured object, a number).
//
// Subjects, the value a directive looks at:
//   $  $.key  $.list[0].key  $.list[-1]    the JSON body (.length of a list or string)
//   header Content-Type                    a response header
//   body                                   the body as text (with a byte-order mark if sent)
//
//   @expect SUBJECT == JSON                equal exactly: no other keys, same length
//   @expect SUBJECT != JSON                anything but that
//   @expect SUBJECT ~ /regex/flags         a string matching the regular expression
//   @expect SUBJECT !~ /regex/flags        a string not matching it
//   @expect SUBJECT contains JSON          a list with an item matching JSON as a subset
//   @absent SUBJECT                        no such key, index or header
//   @capture NAME = SUBJECT                store the value as {{NAME}} for the later cases
//                                          of the file; a subject that is not there fails
//
// Lines starting with # after the --- are comments, and so is everything
// before the first ###.
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import assert from 'node:assert/strict';

export function parseCases(path) {
  const text = readFileSync(path, 'utf8');
  const cases = [];
  const blocks = text.split(/^### /m);
  let lineNumber = blocks[0].split('\n').length;
  for (const block of blocks.slice(1)) {
    const lines = block.split('\n');
    const at = `${basename(path)}:${lineNumber}`;
    lineNumber += lines.length - 1;
    const title = lines.shift().trim();
    const where = `${path}: case "${title}"`;
    const sep = lines.findIndex((l) => l === '---');
    if (sep < 0) throw new Error(`${where} has no ---`);
    const request = lines.slice(0, sep);
    while (request.length && (request[0].trim() === '' || request[0].startsWith('#'))) request.shift();
    const expect = lines.slice(sep + 1).filter((l) => !l.startsWith('#'));
    const [method, target, ...rest] = (request.shift() ?? '').trim().split(' ');
    if (!/^[A-Z]+$/.test(method) || !target?.startsWith('/') || rest.length) {
      throw new Error(`${where}: the first line must be METHOD /path`);
    }
    const headers = {};
    while (request.length && request[0].trim() !== '') {
      const line = request.shift();
      const i = line.indexOf(':');
      if (i < 0) throw new Error(`${where}: "${line}" is no header (a blank line goes before the body)`);
      headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    request.shift();
    let body = request.join('\n').replace(/\n+$/, '');
    let bodyFile = null;
    const fileRef = body.match(/^< (\S+)$/);
    if (fileRef) {
      bodyFile = resolve(dirname(path), fileRef[1]);
      body = readFileSync(bodyFile, 'utf8');
    }
    while (expect.length && expect[0].trim() === '') expect.shift();
    const statusLine = (expect.shift() ?? '').trim();
    if (!/^\d{3}$/.test(statusLine)) throw new Error(`${where}: "${statusLine}" after --- is no status`);
    const directives = expect.filter((l) => l.startsWith('@')).map((l) => parseDirective(l.trim(), where));
    const json = expect.filter((l) => !l.startsWith('@')).join('\n').trim();
    cases.push({ title, at, method, target, headers, body, bodyFile, status: Number(statusLine), json, directives });
  }
  return cases;
}

const SUBJECT = String.raw`(\$\S*|header\s+[\w-]+|body)`;
const EXPECT = new RegExp(String.raw`^@expect\s+${SUBJECT}\s+(==|!=|~|!~|contains)\s+(.+)$`);
const CAPTURE = new RegExp(String.raw`^@capture\s+(\w+)\s*=\s*${SUBJECT}$`);
const ABSENT = new RegExp(String.raw`^@absent\s+${SUBJECT}$`);

function parseDirective(line, where) {
  let m = line.match(EXPECT);
  if (m) return { line, kind: 'expect', subject: m[1], op: m[2], value: m[3].trim() };
  m = line.match(CAPTURE);
  if (m) return { line, kind: 'capture', name: m[1], subject: m[2] };
  m = line.match(ABSENT);
  if (m) return { line, kind: 'absent', subject: m[1] };
  throw new Error(`${where}: cannot read "${line}" (@expect SUBJECT OP VALUE, @capture NAME = SUBJECT, ` +
    '@absent SUBJECT)');
}

// Every key of `expected` must equal the same key of `actual`; arrays match by prefix.
export function assertSubset(actual, expected, path = '$', where = '') {
  const at = where ? `${where}: ${path}` : path;
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${at}: expected an array, got ${JSON.stringify(actual)}`);
    assert.ok(actual.length >= expected.length, `${at}: expected at least ${expected.length} items, got ` +
      `${JSON.stringify(actual)}`);
    expected.forEach((item, i) => assertSubset(actual[i], item, `${path}[${i}]`, where));
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${at}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [key, value] of Object.entries(expected)) assertSubset(actual[key], value, `${path}.${key}`, where);
  } else {
    assert.deepEqual(actual, expected, at);
  }
}

function isSubset(actual, expected) {
  try {
    assertSubset(actual, expected);
    return true;
  } catch {
    return false;
  }
}

const DATE = /^\d{4}-\d\d-\d\d$/;

// Replaces {{name}}, {{name+N}}, {{name-N}}. A variable may be a function of
// all variables, computed at each use (a signature over the latest challenge).
export function fillVariables(text, vars) {
  return text.replace(/\{\{\s*(\w+)\s*(?:([+-])\s*(\d+)\s*)?\}\}/g, (_, name, sign, amount) => {
    if (!(name in vars)) throw new Error(`unknown variable {{${name}}} (captured by an earlier case that failed?)`);
    let value = typeof vars[name] === 'function' ? vars[name](vars) : vars[name];
    if (sign) {
      const n = Number(sign + amount);
      if (typeof value === 'string' && DATE.test(value)) {
        value = new Date(Date.parse(`${value}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
      } else if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+$/.test(value))) {
        value = Number(value) + n;
      } else {
        throw new Error(`{{${name}${sign}${amount}}}: ${JSON.stringify(value)} is neither a number nor a date`);
      }
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

// The value a subject names; `found` is false where the path leads nowhere.
function resolveSubject(subject, response) {
  if (subject === 'body') return { found: true, value: response.text };
  const header = subject.match(/^header\s+([\w-]+)$/);
  if (header) {
    const value = response.headers.get(header[1]);
    return { found: value !== null, value };
  }
  if (response.body === undefined) return { found: false, reason: 'the body is not JSON' };
  let value = response.body;
  const steps = subject.slice(1).match(/\.[^.[\]]+|\[-?\d+\]|[^]/g) ?? [];
  for (const step of steps) {
    if (step.startsWith('.') && step.length > 1) {
      const key = step.slice(1);
      if (key === 'length' && (Array.isArray(value) || typeof value === 'string')) {
        value = value.length;
      } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, key)) {
        value = value[key];
      } else {
        return { found: false };
      }
    } else if (step.startsWith('[') && step.endsWith(']')) {
      const i = Number(step.slice(1, -1));
      if (!Array.isArray(value) || i >= value.length || -i > value.length) return { found: false };
      value = value[i < 0 ? value.length + i : i];
    } else {
      throw new Error(`cannot read the path ${subject} at "${step}" (use .key and [index])`);
    }
  }
  return { found: true, value };
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not valid JSON (${e.message}): ${text}`);
  }
}

function parseRegex(text) {
  const m = text.match(/^\/(.*)\/([a-z]*)$/);
  if (!m) throw new Error(`${text} is not a /regular expression/`);
  return new RegExp(m[1], m[2]);
}

function runDirective(d, response, vars, where) {
  const at = `${where}: ${d.line}`;
  const { found, value, reason } = resolveSubject(d.subject, response);
  if (d.kind === 'absent') {
    assert.ok(!found, `${at}\n  actual: ${JSON.stringify(value)}`);
    return;
  }
  if (!found) {
    assert.fail(`${at}: ${d.subject} is not in the response (${reason ?? 'no such key, index or header'}); ` +
      `body ${response.text.slice(0, 2000)}`);
  }
  if (d.kind === 'capture') {
    vars[d.name] = value;
    return;
  }
  const expected = fillVariables(d.value, vars);
  const shown = JSON.stringify(value);
  const failed = `${at}\n  actual: ${shown.length > 2000 ? `${shown.slice(0, 2000)}…` : shown}`;
  switch (d.op) {
    case '==':
      assert.deepEqual(value, parseJson(expected, at), failed);
      break;
    case '!=':
      assert.notDeepEqual(value, parseJson(expected, at), failed);
      break;
    case '~':
      assert.ok(typeof value === 'string' && parseRegex(expected).test(value), failed);
      break;
    case '!~':
      assert.ok(typeof value === 'string' && !parseRegex(expected).test(value), failed);
      break;
    case 'contains': {
      const item = parseJson(expected, at);
      assert.ok(Array.isArray(value) && value.some((x) => isSubset(x, item)), `${failed}\n  (no item matches)`);
      break;
    }
    default:
      throw new Error(`${at}: unknown operator ${d.op}`);
  }
}

// Runs one case; captures go into `vars` for the cases after it.
export async function runCase(baseUrl, testCase, vars) {
  const where = `${testCase.at} "${testCase.title}"`;
  const fill = (s) => fillVariables(s, vars);
  const headers = Object.fromEntries(Object.entries(testCase.headers).map(([k, v]) => [k, fill(v)]));
  const response = await fetch(baseUrl + fill(testCase.target), {
    method: testCase.method, headers, body: testCase.body ? fill(testCase.body) : undefined,
  });
  // As sent: a byte-order mark is part of what is checked (Excel needs it in a CSV).
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer());
  assert.equal(response.status, testCase.status, `${where}: status ${response.status}, body ${text.slice(0, 2000)}`);
  let body;
  try { body = JSON.parse(text); } catch { body = undefined; }
  if (testCase.json) {
    if (body === undefined) assert.fail(`${where}: body is not JSON: ${text.slice(0, 2000)}`);
    assertSubset(body, parseJson(fill(testCase.json), `${where}: the expected JSON`), '$', where);
  }
  const answer = { headers: response.headers, text, body };
  for (const d of testCase.directives) runDirective(d, answer, vars, where);
  return response;
}

// The names of the {{variables}} a case file uses (for set-up that costs time).
export function variablesUsed(cases) {
  const names = new Set();
  for (const c of cases) {
    const texts = [c.target, c.body, c.json, ...Object.values(c.headers), ...c.directives.map((d) => d.value ?? '')];
    for (const t of texts) for (const m of (t ?? '').matchAll(/\{\{\s*(\w+)/g)) names.add(m[1]);
  }
  return names;
}
