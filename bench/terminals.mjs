// Load tool for scripts/bench terminals (docs/terminal-protocol.md): a terminal
// uploading its buffer in batches of 1000 back to back, then online
// acceptances from several clients at once.
//
//   node bench/terminals.mjs --url URL --demo DEMO_JSON [--transactions 200000] [--batch 1000]
//       [--cards 20000] [--online-seconds 10] [--online-clients 8] [--seed 1]
//       [--server-pid PID --clk-tck 100]
//
// 1. Registers CARDS/2 stays of two guests with a card each through
//    POST /api/v1/registrations/batch (the demo landlord token), arriving today
//    (Europe/Berlin) for 7 nights, so that transactions dated today fall in the stay.
// 2. Logs in as T-BAD-01 (challenge and Ed25519 signature with the demo key file).
// 3. Uploads TRANSACTIONS transactions, BATCH per POST /api/terminal/v1/transactions,
//    one after the other over one keep-alive connection; every answer must list
//    every booking number of its batch, in order, as "accepted" (a conflict is
//    counted and reported, not an error). The bodies are built before the clock starts.
// 4. For ONLINE_SECONDS, ONLINE_CLIENTS clients each POST /api/terminal/v1/acceptances
//    back to back on their own keep-alive connection, with fresh booking numbers.
//
// The mix (bench/raw_transactions.cpp draws the same from the same generator):
// for each transaction a random card, then 40 % purchases — package 9001
// ("3 aus 7", 2900 ct) or 9002 (sauna ticket, 1200 ct) half and half, one
// sale line with the validity written to the card, cash or card half and
// half — and 60 % acceptances, chosen evenly among what the card allows:
// 201 and 202 from its 9001 (once it holds one), 202 from an unused 9002,
// 301 from the base package 9000. Online acceptances choose the same way.
//
// Prints key=value lines starting "terminals register:", "terminals upload:",
// "terminals online:", "terminals expected:" (the rows the database must hold
// afterwards) and "terminals expected_upload:" (the rows of the upload alone:
// what bench/raw_transactions.cpp writes).
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { createPrivateKey, sign } from 'node:crypto';

const options = {
  url: '', demo: '', transactions: '200000', batch: '1000', cards: '20000', 'online-seconds': '10',
  'online-clients': '8', seed: '1', 'server-pid': '', 'clk-tck': '100',
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, '');
  if (!(key in options) || i + 1 >= argv.length) {
    console.error(`terminals.mjs: unknown or incomplete option ${argv[i]}`);
    process.exit(2);
  }
  options[key] = argv[i + 1];
}
if (!options.url || !options.demo) {
  console.error('usage: terminals.mjs --url URL --demo DEMO_JSON [--transactions N] [--batch N] [--cards N] ' +
    '[--online-seconds S] [--online-clients N] [--seed N] [--server-pid PID --clk-tck HZ]');
  process.exit(2);
}
const total = Number(options.transactions);
const batchSize = Number(options.batch);
const cardCount = Number(options.cards);
const onlineSeconds = Number(options['online-seconds']);
const onlineClients = Number(options['online-clients']);
const serverPid = options['server-pid'];
const clkTck = Number(options['clk-tck']);
const target = new URL(options.url);
const demo = JSON.parse(readFileSync(options.demo, 'utf8'));

const fail = (message) => {
  console.error(`terminals.mjs: ${message}`);
  process.exit(1);
};

// ---- HTTP over one keep-alive connection per client ---------------------------

function client() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return (method, path, token, body) => new Promise((resolve, reject) => {
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
    const request = http.request({ host: target.hostname, port: target.port, method, path, headers, agent },
      (response) => {
        const chunks = [];
        response.on('data', (c) => chunks.push(c));
        response.on('end', () => resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      });
    request.on('error', reject);
    request.end(body);
  });
}

function serverCpuSeconds() {
  if (!serverPid) return NaN;
  const stat = readFileSync(`/proc/${serverPid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clkTck;  // utime + stime
}

// Seconds the server's threads spent ready to run but waiting for a CPU (other
// work on the machine): the part of the wall time that is not Passwerk's.
function serverRunqueueSeconds() {
  if (!serverPid) return NaN;
  let ns = 0;
  for (const task of readdirSync(`/proc/${serverPid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${serverPid}/task/${task}/schedstat`, 'utf8').split(' ')[1]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e9;
}

// ---- The mix: mulberry32, the same draws as bench/raw_transactions.cpp --------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t = ((t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t) >>> 0;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(Number(options.seed));
const below = (n) => Math.floor(random() * n);

const berlinDay = (offsetDays = 0) =>
  new Date(Date.now() + offsetDays * 86400000).toLocaleDateString('sv-SE', { timeZone: 'Europe/Berlin' });
const addDays = (iso, days) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86400000).toISOString().slice(0, 10);
const timeOf = (i) => {
  const s = 28800 + (i % 36000);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
};

const today = berlinDay(0);
const municipality = demo.guest_cards.municipality;
const terminal = demo.terminals.find((t) => t.tid === 'T-BAD-01');
if (!terminal) fail('the demo data has no terminal T-BAD-01');

// What each card holds, as far as the terminal knows: whether it has a 9001, and its unused 9002s.
const held = Array.from({ length: cardCount }, () => ({ daysOf: false, singles: 0 }));
const counts = { purchase_9001: 0, purchase_9002: 0, accept_201_9001: 0, accept_202_9001: 0, accept_202_9002: 0,
  accept_301_9000: 0 };

// One acceptance's service and package for card `c` (draws one number).
function chooseAcceptance(c) {
  const choices = [];
  if (held[c].daysOf) choices.push(['201', '9001'], ['202', '9001']);
  if (held[c].singles > 0) choices.push(['202', '9002']);
  choices.push(['301', '9000']);
  const [service, pkg] = choices[below(choices.length)];
  if (pkg === '9002') held[c].singles -= 1;
  counts[`accept_${service}_${pkg}`] += 1;
  return [service, pkg];
}

// ---- 1. Guests with cards --------------------------------------------------------

async function registerCards(call) {
  const guest = (i, given, birth) => ({
    family_name: `Gast${i}`, given_name: given, birth_date: birth, nationality: 'DE', gender: i % 2 ? 'f' : 'm',
    address: { street: 'Hauptstraße 5', postal_code: String(10000 + ((i * 7919) % 89999)), city: 'Musterstadt',
      country: 'DE' },
    reductions: [], card: true,
  });
  const numbers = [];
  const stays = Math.ceil(cardCount / 2);
  for (let done = 0; done < stays; done += 500) {
    const registrations = [];
    for (let i = done; i < Math.min(stays, done + 500); i++) {
      registrations.push({
        accommodation_id: demo.guest_cards.accommodation_id, arrival: today, departure: berlinDay(7),
        guests: [guest(i, 'Erika', '1980-05-01'), guest(i, 'Max', '2015-06-01')], group: null,
        marketing_consent: false,
      });
    }
    const r = await call('POST', '/api/v1/registrations/batch', demo.guest_cards.landlord_token,
      JSON.stringify({ registrations }));
    if (r.status !== 201) fail(`registrations: status ${r.status}: ${r.text.slice(0, 300)}`);
    for (const reg of JSON.parse(r.text).registrations) for (const card of reg.cards) numbers.push(card.card_number);
  }
  if (numbers.length < cardCount) fail(`registrations gave ${numbers.length} cards, wanted ${cardCount}`);
  return numbers.slice(0, cardCount);
}

// ---- 2. Login ----------------------------------------------------------------------

async function login(call) {
  const [magic, tid, seed] = readFileSync(terminal.key_file, 'utf8').trim().split('\n');
  if (magic !== 'passwerk-terminal-key-v1' || tid !== terminal.tid) fail(`not a key file of ${terminal.tid}`);
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed, 'base64')]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const c = await call('POST', '/api/terminal/v1/challenge', null, JSON.stringify({ tid }));
  if (c.status !== 200) fail(`challenge: status ${c.status}: ${c.text}`);
  const { challenge } = JSON.parse(c.text);
  const signature = sign(null, Buffer.from(`passwerk-terminal-login-v1\n${tid}\n${challenge}`), key).toString('base64');
  const l = await call('POST', '/api/terminal/v1/login', null, JSON.stringify({ tid, challenge, signature }));
  if (l.status !== 200) fail(`login: status ${l.status}: ${l.text}`);
  return JSON.parse(l.text).session;
}

// ---- 3. Upload ---------------------------------------------------------------------

function buildBatches(cards) {
  const ref = (number) => ({ card_number: number, circulation_counter: 1, municipality_number: municipality,
    issuing_office: '4711' });
  const bodies = [];
  for (let done = 0; done < total; done += batchSize) {
    const list = [];
    for (let i = done; i < Math.min(total, done + batchSize); i++) {
      const c = below(cardCount);
      const base = { booking_number: i + 1, at: `${today}T${timeOf(i)}`, vu_number: terminal.provider, operator: '1' };
      if (random() < 0.4) {
        const daysOf = random() < 0.5;
        const method = random() < 0.5 ? 'cash' : 'card';
        const pkg = daysOf ? '9001' : '9002';
        const price = daysOf ? 2900 : 1200;
        list.push({
          ...base, kind: 'purchase',
          sales: [{ position: 1, ...ref(cards[c]), package_number: pkg, price_cents: price, valid_from: today,
            valid_to: addDays(today, daysOf ? 29 : 13), written: true }],
          payment: { method, amount_cents: price },
        });
        if (daysOf) held[c].daysOf = true; else held[c].singles += 1;
        counts[`purchase_${pkg}`] += 1;
      } else {
        const [service, pkg] = chooseAcceptance(c);
        list.push({ ...base, kind: 'acceptance',
          consumption: { ...ref(cards[c]), service_number: service, package_number: pkg } });
      }
    }
    bodies.push({ first: done + 1, count: list.length, body: JSON.stringify({ protocol: 1, transactions: list }) });
  }
  return bodies;
}

async function upload(call, session, bodies) {
  const conflicts = {};
  let waiting = 0;  // seconds from sending a batch to its whole answer
  const cpu0 = serverCpuSeconds();
  const queued0 = serverRunqueueSeconds();
  const client0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const { first, count, body } of bodies) {
    const sent = process.hrtime.bigint();
    const r = await call('POST', '/api/terminal/v1/transactions', session, body);
    waiting += Number(process.hrtime.bigint() - sent) / 1e9;
    if (r.status !== 200) fail(`upload of ${first}…: status ${r.status}: ${r.text.slice(0, 300)}`);
    const { results } = JSON.parse(r.text);
    if (results.length !== count) fail(`upload of ${first}…: ${results.length} results for ${count} transactions`);
    for (let k = 0; k < count; k++) {
      const entry = results[k];
      if (entry.booking_number !== first + k || entry.result !== 'accepted') {
        fail(`upload: booking ${first + k} answered ${JSON.stringify(entry)}`);
      }
      if (entry.conflict) conflicts[entry.conflict] = (conflicts[entry.conflict] || 0) + 1;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const client = process.cpuUsage(client0);
  return { seconds, cpu: serverCpuSeconds() - cpu0, queued: serverRunqueueSeconds() - queued0, conflicts, waiting,
    clientCpu: (client.user + client.system) / 1e6 };
}

// ---- 4. Online acceptances -----------------------------------------------------------

async function online(session, cards, firstBooking) {
  let booking = firstBooking;
  const latencies = [];
  let allowed = 0;
  let denied = 0;
  let fromHoldings = 0;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(onlineSeconds * 1e9));
  const cpu0 = serverCpuSeconds();
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    const call = client();
    while (process.hrtime.bigint() < deadline) {
      const c = below(cardCount);
      const [service, pkg] = chooseAcceptance(c);
      const body = JSON.stringify({
        booking_number: booking++, at: `${today}T${timeOf(booking)}`, operator: '1', card_number: cards[c],
        circulation_counter: 1, municipality_number: municipality, issuing_office: '4711', service_number: service,
        package_number: pkg,
      });
      const start = process.hrtime.bigint();
      const r = await call('POST', '/api/terminal/v1/acceptances', session, body);
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (r.status !== 200) fail(`acceptance: status ${r.status}: ${r.text.slice(0, 300)}`);
      const answer = JSON.parse(r.text);
      if (answer.decision === 'allowed' && answer.result === 'accepted') {
        allowed += 1;
        if (pkg !== '9000') fromHoldings += 1;
      } else {
        denied += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: onlineClients }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  latencies.sort((x, y) => x - y);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { seconds, cpu: serverCpuSeconds() - cpu0, requests: latencies.length, allowed, denied, fromHoldings,
    p50: at(0.5), p99: at(0.99) };
}

// ---- Main --------------------------------------------------------------------------

const call = client();
const r0 = process.hrtime.bigint();
const cards = await registerCards(call);
console.log(`terminals register: cards=${cards.length} seconds=${(Number(process.hrtime.bigint() - r0) / 1e9).toFixed(1)}`);
const session = await login(call);
const bodies = buildBatches(cards);
const purchases = counts.purchase_9001 + counts.purchase_9002;
const usesInUpload = counts.accept_201_9001 + counts.accept_202_9001 + counts.accept_202_9002;
const mix = Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ');
const up = await upload(call, session, bodies);
const f = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const conflictCount = Object.values(up.conflicts).reduce((s, v) => s + v, 0);
console.log(`terminals upload: day=${today} transactions=${total} batch=${batchSize} batches=${bodies.length} ` +
  `cards=${cardCount} purchases=${purchases} acceptances=${total - purchases} ${mix} ` +
  `conflicts=${conflictCount}${conflictCount ? ` (${JSON.stringify(up.conflicts)})` : ''} ` +
  `seconds=${f(up.seconds, 2)} tx_per_s=${f(total / up.seconds)} server_cpu_s=${f(up.cpu, 2)} ` +
  `tx_per_server_cpu_s=${f(total / up.cpu)} request_s=${f(up.waiting, 2)} client_cpu_s=${f(up.clientCpu, 2)} ` +
  `server_runqueue_wait_s=${f(up.queued, 2)}`);

for (const k of Object.keys(counts)) counts[k] = 0;
const on = await online(session, cards, total + 1);
const onlineMix = Object.entries(counts).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join(' ');
console.log(`terminals online: clients=${onlineClients} seconds=${f(on.seconds, 2)} requests=${on.requests} ` +
  `allowed=${on.allowed} denied=${on.denied} ${onlineMix} requests_per_s=${f(on.requests / on.seconds)} ` +
  `p50_ms=${f(on.p50, 2)} p99_ms=${f(on.p99, 2)} server_cpu_s=${f(on.cpu, 2)}`);
console.log(`terminals expected: settlement_transactions=${total + on.allowed} sale_lines=${purchases} ` +
  `usage_transactions=${total + on.allowed} holdings=${purchases} holding_uses=${usesInUpload + on.fromHoldings} ` +
  `misuse_log=${conflictCount}`);
console.log(`terminals expected_upload: settlement_transactions=${total} sale_lines=${purchases} ` +
  `usage_transactions=${total} holdings=${purchases} holding_uses=${usesInUpload} misuse_log=0`);
