// What the mailbox tests (functional and browser) share: small files of each
// accepted type, a citizen signed in with the portal's test sign-in over
// plain HTTP (cookie jar, CSRF token), a staff member's API calls, and the
// mails of the SMTP peer (tests/lib/peers.mjs) to one address.
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { Jar } from './cookies.mjs';

// --- files -------------------------------------------------------------------------

// A small but well-formed one-page PDF; `pad` bytes of comment make it larger.
export function samplePdf(text = 'Nachweis', pad = 0) {
  const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  if (pad > 0) out += `%${'x'.repeat(pad)}\n`;
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

// A valid RGB PNG of width × height in one colour.
export function samplePng(width = 4, height = 3, rgb = [0, 102, 204]) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]);
}

// A multipart body of a message: the text and files [{name, data, type}].
export function messageForm(body, files = []) {
  const form = new FormData();
  if (body !== null) form.append('body', body);
  for (const f of files) form.append('attachment', new Blob([f.data], { type: f.type ?? 'application/octet-stream' }), f.name);
  return form;
}

// --- HTTP --------------------------------------------------------------------------


// An answer read whole: status, headers, the bytes, the text, and the JSON when it is JSON.
async function answer(response) {
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') || '';
  let json = null;
  if (/json/.test(type) && bytes.length) json = JSON.parse(bytes.toString('utf8'));
  return { status: response.status, headers: response.headers, bytes, text: bytes.toString('utf8'), json };
}

export function unescapeHtml(text) {
  return text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>')
    .replaceAll('&#43;', '+').replaceAll('&amp;', '&');
}

// Describes an answer for an assertion message.
export const show = (r) => `${r.status} ${r.text.slice(0, 500)}`;

function encode(body) {
  if (body === undefined) return { body: undefined, type: null };
  if (body instanceof FormData || body instanceof URLSearchParams || Buffer.isBuffer(body)) return { body, type: null };
  if (typeof body === 'string') return { body, type: 'text/plain' };
  return { body: JSON.stringify(body), type: 'application/json' };
}

// A citizen signed in with the test sign-in (PASSWERK_PORTAL_TEST_LOGIN=true)
// under `name`. call(method, path, body, {csrf, headers}) adds the session
// cookie and, on every method but GET, the X-CSRF-Token (csrf: false leaves it out).
export async function signInCitizen(server, name, level = 'low') {
  const jar = new Jar();
  const raw = (url, options = {}) => fetch(url, {
    redirect: 'manual', ...options, headers: { ...(options.headers || {}), cookie: jar.header() },
  }).then((r) => jar.take(r));
  const form = await (await raw(`${server.url}/portal/login`)).text();
  const m = form.match(/name="csrf" value="([^"]*)"/);
  assert.ok(m, 'a CSRF field on the login page');
  const signedIn = await raw(`${server.url}/portal/login/test`, {
    method: 'POST', body: new URLSearchParams({ csrf: unescapeHtml(m[1]), name, level, return_to: '/portal' }),
  });
  assert.equal(signedIn.status, 303, `test sign-in of ${name}: ${signedIn.status}`);
  const me = await answer(await raw(`${server.url}/api/portal/v1/me`));
  assert.equal(me.status, 200, show(me));
  assert.ok(me.json.csrf_token, '/api/portal/v1/me names the csrf_token');
  const citizen = {
    name, jar, me: me.json, csrf: me.json.csrf_token,
    async call(method, path, body, { csrf = true, headers = {} } = {}) {
      const encoded = encode(body);
      const h = { ...headers };
      if (encoded.type) h['content-type'] = encoded.type;
      if (csrf && method !== 'GET') h['x-csrf-token'] = citizen.csrf;
      return answer(await raw(server.url + path, { method, headers: h, body: encoded.body }));
    },
  };
  return citizen;
}

// A staff member's API: call(method, path, body, {headers}) with the bearer token.
export function staffApi(server, token) {
  return {
    token,
    async call(method, path, body, { headers = {} } = {}) {
      const encoded = encode(body);
      const h = { authorization: `Bearer ${token}`, ...headers };
      if (encoded.type) h['content-type'] = encoded.type;
      return answer(await fetch(server.url + path, { method, headers: h, body: encoded.body, redirect: 'manual' }));
    },
  };
}

// --- mail --------------------------------------------------------------------------

// The mails the SMTP peer received for `address`.
export const mailsTo = (smtp, address) => smtp.messages.filter((m) => m.envelope.to.includes(address));

// Waits until `count` mails to `address` arrived; returns them (oldest first).
export async function waitForMail(smtp, address, count = 1, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = mailsTo(smtp, address);
    if (got.length >= count) return got;
    if (Date.now() > deadline) {
      throw new Error(`${got.length} of ${count} mails to ${address} after ${timeoutMs} ms; the peer has `
        + `${smtp.messages.length} in all, refused ${smtp.refused}: `
        + JSON.stringify(smtp.messages.map((m) => ({ to: m.envelope.to, subject: m.subject }))));
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Checks that no more than `count` mails to `address` arrive within `ms`
// (the only fixed wait: absence cannot be polled for).
export async function noMoreMail(smtp, address, count, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    assert.ok(mailsTo(smtp, address).length <= count,
      `more than ${count} mails to ${address}: ${JSON.stringify(mailsTo(smtp, address).map((m) => m.subject))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(mailsTo(smtp, address).length, count);
}

// The token of the confirmation link {public_url}/portal/email/confirm?token=… in a mail's text.
export function confirmationToken(mail) {
  const m = mail.text.match(/https?:\/\/[^\s/]+\/portal\/email\/confirm\?token=([A-Za-z0-9_~.%-]+)/);
  assert.ok(m, `no confirmation link in the mail:\n${mail.text}`);
  return decodeURIComponent(m[1]);
}

export const UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
