// SAML responses consumed per second (scripts/bench portal): the BundID-like
// test IdP (tests/peers/saml_idp.py) answers BENCH_SAML_RESPONSES sign-ins
// started at the server beforehand; then all answers are posted to
// /portal/saml/acs by BENCH_SAML_CLIENTS clients and timed, with the server's
// CPU time read from /proc. Prints one line:
//   bench portal_saml: responses=N ok=N seconds=S per_s=R per_cpu_s=C
// Usage: node bench/portal_saml.mjs URL SERVER_PID   (the server runs with the
// IdP's metadata, whose path and admin URL come in BENCH_IDP_URL).
import { readFileSync } from 'node:fs';

const [url, pid] = process.argv.slice(2);
const idpUrl = process.env.BENCH_IDP_URL;
const count = Number(process.env.BENCH_SAML_RESPONSES || 300);
const clients = Number(process.env.BENCH_SAML_CLIENTS || 4);
const binding = 'benchbrowserbindingtoken0123456789';
const hz = 100;  // USER_HZ on Linux

function cpuTicks() {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);  // utime + stime
}

const unescape = (t) => t.replaceAll('&#43;', '+').replaceAll('&amp;', '&').replaceAll('&quot;', '"');
const field = (html, name) => unescape(html.match(new RegExp(`name="${name}" value="([^"]*)"`))[1]);

const metadata = await (await fetch(`${url}/portal/saml/metadata`)).text();
const registered = await fetch(`${idpUrl}/admin/sp`, { method: 'POST', body: metadata });
if (registered.status !== 204) throw new Error(`IdP refused the SP metadata: ${registered.status}`);

// Beforehand: the sign-ins and the IdP's answers to them.
const answers = [];
for (let i = 0; i < count; i++) {
  const page = await (await fetch(`${url}/portal/login/saml?level=substantial`, {
    headers: { cookie: `pw_citizen_signin=${binding}` },
  })).text();
  const made = await (await fetch(`${idpUrl}/test/response`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ saml_request: field(page, 'SAMLRequest'), name: `Bench Citizen ${i % 50}` }),
  })).json();
  answers.push(new URLSearchParams({ SAMLResponse: made.SAMLResponse, RelayState: field(page, 'RelayState') }).toString());
}

let next = 0;
let ok = 0;
const ticks0 = cpuTicks();
const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: clients }, async () => {
  while (next < answers.length) {
    const body = answers[next++];
    const response = await fetch(`${url}/portal/saml/acs`, {
      method: 'POST', redirect: 'manual', body,
      headers: { cookie: `pw_citizen_signin=${binding}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    await response.arrayBuffer();
    if (response.status === 303) ok++;
  }
}));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpuSeconds = (cpuTicks() - ticks0) / hz;
console.log(`bench portal_saml: responses=${count} ok=${ok} seconds=${seconds.toFixed(2)} ` +
  `per_s=${(count / seconds).toFixed(0)} per_cpu_s=${(cpuSeconds > 0 ? count / cpuSeconds : 0).toFixed(0)}`);
if (ok !== count) process.exit(1);
