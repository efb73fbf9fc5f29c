#!/usr/bin/env node
// The crash test (issue 18): mixed writes against the real binary, SIGKILL at
// random moments, restart on the same data, and after every restart a check of
// the storage itself: every acknowledged write present exactly once, every
// unacknowledged one whole or absent in every segment, retries with the same
// Idempotency-Key present exactly once, the audit trail intact and matching
// the data, partner-check records at most once (exactly once after a graceful
// stop).
//
//   node crash/crash.mjs [--kills N] [--engine sqlite|postgresql|both] [--seed S]
//        [--clients 4] [--min-delay 150] [--max-delay 2500]   (kill delay in ms)
//   (or CRASH_KILLS, CRASH_ENGINE, CRASH_SEED, …; PostgreSQL through scripts/with-postgres)
//
// Exits 0 when no violation was seen, 1 otherwise, 77 when an engine asked for
// is not available (ctest reports that as skipped).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, passwerk } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';
import { readTerminalKey, signLogin } from '../lib/terminal.mjs';
import { berlinDay, addDays, stockNumber, createToken } from '../lib/guest_fixture.mjs';

// ---------------------------------------------------------------- parameters

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  return process.env[`CRASH_${name.toUpperCase().replaceAll('-', '_')}`] ?? fallback;
}
const KILLS = Number(option('kills', '10'));
const ENGINE = option('engine', 'both');
const SEED = Number(option('seed', String(Math.floor(Math.random() * 2 ** 31))));
const CLIENTS = Number(option('clients', '4'));
// The random delay between a (re)start's first write and the kill, in ms.
const MIN_DELAY = Number(option('min-delay', '150'));
const MAX_DELAY = Number(option('max-delay', '2500'));

if (!Number.isInteger(KILLS) || KILLS < 1) throw new Error(`--kills must be a positive integer, not ${KILLS}`);
if (!['sqlite', 'postgresql', 'both'].includes(ENGINE)) throw new Error(`--engine sqlite|postgresql|both, not ${ENGINE}`);

// mulberry32: small, seeded, good enough to pick workloads and delays.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const log = (...a) => console.log(...a);

// ---------------------------------------------------------------- storage access

// Reads the segments directly: SQLite files read-only through the sqlite3 CLI,
// PostgreSQL schemas through psql. `queries` is {name: sql}; returns
// {name: rows} with rows as arrays of strings.
function makeStorage(engine, { dataDir, pgAdminUrl }) {
  const segments = ['spa_tax', 'card_usage', 'logistics', 'card_link', 'settlement', 'cards', 'audit', 'checks'];
  return (queries) => {
    const names = Object.keys(queries);
    let script = '';
    if (engine === 'sqlite') {
      script += '.timeout 10000\n';
      for (const s of segments) script += `ATTACH 'file:${join(dataDir, `${s}.db`)}?mode=ro' AS ${s};\n`;
      script += 'BEGIN;\n';  // one snapshot of every file
    } else {
      script += 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n';
    }
    for (const n of names) script += `SELECT '@@${n}';\n${queries[n].trim().replace(/;$/, '')};\n`;
    script += 'COMMIT;\n';
    const out = engine === 'sqlite'
      ? execFileSync('sqlite3', ['-batch', '-noheader', '-bail', '-separator', '\t', ':memory:'],
        { input: script, encoding: 'utf8', maxBuffer: 1 << 29 })
      : execFileSync('psql', [pgAdminUrl, '-X', '-q', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-f', '-'],
        { input: script, encoding: 'utf8', maxBuffer: 1 << 29 });
    const result = {};
    let current = null;
    for (const line of out.split('\n')) {
      if (line.startsWith('@@')) { current = line.slice(2); result[current] = []; continue; }
      if (line === '' || current === null) continue;
      result[current].push(line.split('\t'));
    }
    for (const n of names) result[n] ??= [];
    return result;
  };
}

const SNAPSHOT_QUERIES = {
  regs: 'SELECT arrival || \'|\' || departure, count(*) FROM spa_tax.registrations GROUP BY 1',
  guests: `SELECT r.arrival || '|' || r.departure, count(*) FROM spa_tax.registration_guests g
           JOIN spa_tax.registrations r ON r.registration_number = g.registration_number GROUP BY 1`,
  cycles: 'SELECT arrival || \'|\' || departure, count(*) FROM card_usage.cycles GROUP BY 1',
  logistics: `SELECT in_service_on || '|' || departure_on, count(*) FROM logistics.cards
              WHERE in_service_on IS NOT NULL AND departure_on IS NOT NULL GROUP BY 1`,
  linksByCycle: `SELECT c.arrival || '|' || c.departure, count(*) FROM card_link.links l
                 JOIN card_usage.cycles c ON c.cycle_id = l.cycle_id GROUP BY 1`,
  linksByCard: `SELECT k.in_service_on || '|' || k.departure_on, count(*) FROM card_link.links l
                JOIN logistics.cards k ON k.card_number = l.card_number GROUP BY 1`,
  linkCount: 'SELECT count(*) FROM card_link.links',
  regNumbers: 'SELECT registration_number, arrival || \'|\' || departure FROM spa_tax.registrations',
  settlement: 'SELECT tid, booking_number, kind FROM settlement.transactions',
  usage: 'SELECT tid, occurred_at, count(*) FROM card_usage.transactions GROUP BY 1, 2',
  saleLines: 'SELECT tid, booking_number, count(*) FROM settlement.sale_lines GROUP BY 1, 2',
  cards: 'SELECT card_number, id FROM cards.cards',
  cardEvents: 'SELECT card_id, count(*) FROM cards.card_events WHERE kind = \'issue\' GROUP BY 1',
  audit: `SELECT seq, action, object, detail FROM audit.entries WHERE action IN
          ('registration.create', 'card.issue', 'card_link.enrol_guest_data') ORDER BY seq`,
  auditMax: 'SELECT coalesce(max(seq), 0) FROM audit.entries',
  checkRecords: 'SELECT card_pseudonym FROM checks.checks',
  spoolFiles: 'SELECT segment, imported_bytes FROM checks.spool_files',
};

// The check records still in the spool (checks/check_spool.h): 80-byte
// records, format version at byte 4, the pseudonym NUL-padded at 40..71;
// those of a segment past the bytes checks.spool_files says are imported.
// Read after the database snapshot, so a record imported meanwhile is counted
// once (the file only grows; an imported segment is deleted).
function pendingSpoolPseudonyms(dataDir, imported) {
  const dir = join(dataDir, 'check-spool');
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    let bytes;
    try { bytes = readFileSync(join(dir, name)); } catch { continue; }  // imported and removed meanwhile
    for (let at = imported.get(name) ?? 0; at + 80 <= bytes.length; at += 80) {
      if (bytes[at + 4] !== 1) continue;
      const raw = bytes.subarray(at + 40, at + 72);
      const end = raw.indexOf(0);
      out.push(raw.subarray(0, end < 0 ? raw.length : end).toString('latin1'));
    }
  }
  return out;
}

// The snapshot as maps the checks below look things up in.
function readSnapshot(storage, dataDir) {
  const q = storage(SNAPSHOT_QUERIES);
  const counts = (rows) => new Map(rows.map((r) => [r[0], Number(r[1])]));
  const pairCounts = (rows) => new Map(rows.map((r) => [`${r[0]}#${r[1]}`, Number(r[2])]));
  const regNumbers = new Map();
  for (const [number, marker] of q.regNumbers) {
    if (!regNumbers.has(marker)) regNumbers.set(marker, []);
    regNumbers.get(marker).push(number);
  }
  return {
    regs: counts(q.regs), guests: counts(q.guests), cycles: counts(q.cycles), logistics: counts(q.logistics),
    linksByCycle: counts(q.linksByCycle), linksByCard: counts(q.linksByCard),
    linkCount: Number(q.linkCount[0][0]),
    regNumbers, allRegNumbers: new Set(q.regNumbers.map((r) => r[0])),
    settlement: new Set(q.settlement.map((r) => `${r[0]}#${r[1]}`)),
    usage: pairCounts(q.usage), saleLines: pairCounts(q.saleLines),
    cards: new Map(q.cards.map((r) => [r[0], r[1]])), cardEvents: counts(q.cardEvents),
    audit: q.audit.map(([seq, action, object, detail]) => ({ seq: Number(seq), action, object, detail })),
    auditMax: Number(q.auditMax[0][0]),
    checkRecords: q.checkRecords.length,
    checkPseudonyms: [...q.checkRecords.map((r) => r[0]),
      ...pendingSpoolPseudonyms(dataDir, new Map(q.spoolFiles.map((r) => [r[0], Number(r[1])])))],
  };
}

// ---------------------------------------------------------------- one engine's run

async function runEngine(engineName, seed) {
  const random = rng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const between = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const runId = seed.toString(36).toUpperCase();
  const started = Date.now();

  const engine = engines().find((e) => e.name === engineName);
  if (!engine) return { skipped: `${engineName} is not available (run through scripts/with-postgres)` };
  const db = engine.setup();
  const dataDir = mkdtempSync(join(tmpdir(), `passwerk-crash-${engineName}-`));
  let pgAdminUrl = null;
  if (db.pgUrl) {
    const admin = new URL(process.env.PASSWERK_TEST_PG_ADMIN_URL);
    admin.pathname = `/${db.database}`;
    pgAdminUrl = admin.toString();
  }
  const storage = makeStorage(engineName, { dataDir, pgAdminUrl });
  const env = {
    // The workload checks unknown numbers too: no rate limit or budget in the way.
    PASSWERK_CHECK_RATE_PER_SECOND: '100000', PASSWERK_CHECK_BURST: '100000',
    PASSWERK_CHECK_KEY_DAILY_NO_MATCH_BUDGET: '1000000',
  };

  const violations = [];
  const seenViolations = new Set();
  let epoch = 0;
  const violation = (key, message) => {
    if (seenViolations.has(key)) return;
    seenViolations.add(key);
    violations.push(`[${engineName} kill ${epoch}] ${message}`);
    log(`  VIOLATION ${violations.at(-1)}`);
  };

  let server = await startServer({ dataDir, demo: true, pgUrl: db.pgUrl, env });
  const demo = server.demo;
  const landlordToken = demo.guest_cards.landlord_token;
  const accommodation = demo.guest_cards.accommodation_id;
  const cardsToken = createToken(server, 'admin', 'cards:write', 'crash test');
  const partnerKey = demo.partner_check.server_key;
  const cardScheme = demo.partner_check.scheme;
  const schemeCode = demo.partner_check.cards[0].card_number.slice(0, 3);
  const today = berlinDay(0);

  // ---- HTTP
  async function call(method, path, { token, body, key } = {}) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (key) headers['Idempotency-Key'] = key;
    const response = await fetch(server.url + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(120000),
    });
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = { text }; }
    return { status: response.status, json };
  }

  // ---- terminals: logged in again after every restart (sessions live in memory)
  const terminals = demo.terminals.map((t) => ({ ...t, ...readTerminalKey(t.key_file), next: null, session: null }));
  async function loginTerminals() {
    for (const t of terminals) {
      const c = await call('POST', '/api/terminal/v1/challenge', { body: { tid: t.tid } });
      if (c.status !== 200) throw new Error(`challenge ${t.tid}: ${JSON.stringify(c.json)}`);
      const l = await call('POST', '/api/terminal/v1/login',
        { body: { tid: t.tid, challenge: c.json.challenge, signature: signLogin(t.key, t.tid, c.json.challenge) } });
      if (l.status !== 200) throw new Error(`login ${t.tid}: ${JSON.stringify(l.json)}`);
      t.session = l.json.session;
      // Booking numbers are never reused, whatever the server has seen.
      t.next = Math.max(t.next ?? 0, l.json.last_booking_number + 1);
    }
  }
  await loginTerminals();
  const sync = await call('GET', '/api/terminal/v1/sync-data', { token: terminals[0].session });
  const catalogue = sync.json;
  const base = catalogue.packages.find((p) => p.kind === 'base');
  const forSale = catalogue.packages.filter((p) => p.kind !== 'base' && p.sale_from <= today && today <= p.sale_to
    && p.price_cents > 0);
  if (!base || forSale.length === 0) throw new Error('the demo catalogue has no base package or nothing on sale today');
  for (const t of terminals) {
    // Acceptances of the base package, which every registered card holds: at the services it covers.
    t.baseServices = t.services.filter((s) => base.services.includes(s));
    t.operator = catalogue.operators?.[0] ?? '1';
  }
  const acceptors = terminals.filter((t) => t.baseServices.length > 0);
  if (acceptors.length === 0) throw new Error('no demo terminal offers a service of the base package');
  // A time of day unique per booking number: card_usage records the transaction by it.
  const at = (booking) => {
    if (booking >= 86400) throw new Error('booking numbers past 86399: the time of day no longer tells transactions apart');
    const s = booking % 86400;
    const hh = String(Math.floor(s / 3600)).padStart(2, '0');
    const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
    const ss = String(s % 60).padStart(2, '0');
    return `${today}T${hh}:${mm}:${ss}`;
  };

  // ---- what is in the storage before the workload: the demo's, never ours
  const baseline = readSnapshot(storage, dataDir);
  const baselineCards = new Set(baseline.cards.values());
  const baselineRegs = baseline.allRegNumbers;
  let nextMarker = 0;
  const markers = new Set([...baseline.regs.keys(), ...baseline.logistics.keys(), ...baseline.cycles.keys()]);
  // Every registration write gets its own stay (arrival, departure), both
  // around today so that its cards can be used now: the marker by which each
  // segment's share of it is found (spa_tax, card_usage, logistics; card_link
  // through both).
  function newStay() {
    for (;;) {
      const m = nextMarker++;
      const back = m % 171;
      const ahead = 1 + Math.floor(m / 171);
      if (back + ahead > 366) throw new Error('out of stays');
      const stay = { arrival: addDays(today, -back), departure: addDays(today, ahead) };
      const key = `${stay.arrival}|${stay.departure}`;
      if (!markers.has(key)) { markers.add(key); return { ...stay, marker: key }; }
    }
  }

  // ---- the writes
  const writes = [];
  let sequence = 0;
  const guestCards = [];      // cards of acknowledged registrations, for the terminals
  const issuedCards = [];     // acknowledged card issues not yet checked
  let checkSerial = 0;
  const stats = {
    sent: 0, acked: 0, unacked: 0, whole: 0, absent: 0, half: 0, halfAudit: 0, retried: 0, retryOnce: 0, retryBad: 0,
    checksSent: 0, checksAcked: 0, registrations: 0, guests: 0, terminalTx: 0, cardsIssued: 0,
  };
  const checks = [];          // {epoch, acked}

  function registration(stay, w, r) {
    const guests = [];
    const n = between(1, 3);
    for (let g = 0; g < n; g++) {
      guests.push({
        family_name: `Crash${runId}`, given_name: `W${w}R${r}G${g}`,
        birth_date: g === 2 ? '2015-06-01' : '1980-05-01', nationality: 'DE', gender: pick(['f', 'm', 'd', 'x']),
        address: { street: `Absturzweg ${w}`, postal_code: '91052', city: 'Erlangen', country: 'DE' },
        reductions: [], card: true,
      });
    }
    return { accommodation_id: accommodation, arrival: stay.arrival, departure: stay.departure, guests, group: null,
      marketing_consent: false };
  }

  // Builds the next write of a client, by the seeded dice.
  function nextWrite() {
    const id = ++sequence;
    const key = `crash-${runId}-${engineName}-${id}`;
    const dice = random();
    if (dice < 0.12 || (guestCards.length < 10 && dice < 0.6)) {
      const stay = newStay();
      const count = between(20, 300);
      const regs = Array.from({ length: count }, (_, r) => registration(stay, id, r));
      return { id, key, kind: 'batch', path: '/api/v1/registrations/batch', token: landlordToken,
        body: { registrations: regs }, stay, expect: expectRegistrations(regs) };
    }
    if (dice < 0.35) {
      const stay = newStay();
      const reg = registration(stay, id, 0);
      return { id, key, kind: 'registration', path: '/api/v1/registrations', token: landlordToken, body: reg, stay,
        expect: expectRegistrations([reg]) };
    }
    if (dice < 0.55 && guestCards.length > 0) {
      const t = pick(terminals);
      const txs = [];
      for (let i = between(1, 20); i > 0; i--) {
        const card = { card_number: pick(guestCards), circulation_counter: 1, municipality_number: '01055021',
          issuing_office: '4711' };
        const booking = t.next++;
        const acceptor = t.baseServices.length > 0;
        const common = { booking_number: booking, at: at(booking), vu_number: t.provider, operator: t.operator };
        if (!acceptor || random() < 0.5) {
          const p = pick(forSale);
          txs.push({ ...common, kind: 'purchase', sales: [{ position: 1, ...card, package_number: p.package_number,
            price_cents: p.price_cents, written: true }], payment: { method: pick(['cash', 'card']),
            amount_cents: p.price_cents } });
        } else {
          txs.push({ ...common, kind: 'acceptance', consumption: { ...card, service_number: pick(t.baseServices),
            package_number: base.package_number } });
        }
      }
      return { id, key, kind: 'upload', path: '/api/terminal/v1/transactions', terminal: t,
        body: { protocol: 1, transactions: txs } };
    }
    if (dice < 0.7 && guestCards.length > 0) {
      const t = pick(acceptors);
      const booking = t.next++;
      return { id, key, kind: 'acceptance', path: '/api/terminal/v1/acceptances', terminal: t,
        body: { booking_number: booking, at: at(booking), operator: t.operator, card_number: pick(guestCards),
          circulation_counter: 1, municipality_number: '01055021', issuing_office: '4711',
          service_number: pick(t.baseServices), package_number: base.package_number } };
    }
    if (dice < 0.85) {
      const number = stockNumber(schemeCode, 70000000 + id);
      return { id, key, kind: 'card', path: '/api/v1/cards', token: cardsToken,
        body: { scheme: cardScheme, card_number: number, holder: { family_name: `Crash${runId}`,
          given_name: `C${id}`, birth_date: '1980-01-01', postal_code: '23746' } }, number };
    }
    // A partner check: of a card issued here and not checked yet, or of a
    // number nobody has; every check is of another number, so two records
    // with one pseudonym are one check recorded twice.
    const number = issuedCards.length > 0 && random() < 0.7 ? issuedCards.pop()
      : stockNumber(schemeCode, 90000000 + ++checkSerial);
    return { id, key: null, kind: 'check', path: '/api/v1/checks', token: partnerKey,
      body: { card_number: number, name: 'Cra' } };
  }

  function expectRegistrations(regs) {
    const guests = regs.reduce((n, r) => n + r.guests.length, 0);
    return { regs: regs.length, guests, cards: guests };
  }

  // Sends a write (or its retry) and notes whether it was acknowledged.
  async function send(w) {
    const token = w.terminal ? w.terminal.session : w.token;
    const r = await call('POST', w.path, { token, body: w.body, key: w.key ?? undefined });
    return r;
  }

  function acknowledged(w, r) {
    if (r.status < 200 || r.status > 299) return false;
    if (w.kind === 'upload') {
      // 200 means stored, whatever each transaction's result (docs/terminal-protocol.md §3).
      w.present = new Map(r.json.results.map((x) => [x.booking_number, x.result === 'accepted'
        || x.result === 'duplicate']));
    }
    if (w.kind === 'acceptance') w.recorded = r.json.result === 'accepted' || r.json.result === 'duplicate';
    return true;
  }

  function noteAcknowledged(w, r) {
    if (w.kind === 'batch') for (const reg of r.json.registrations) for (const c of reg.cards) guestCards.push(c.card_number);
    if (w.kind === 'registration') for (const c of r.json.cards) guestCards.push(c.card_number);
    if (w.kind === 'batch' || w.kind === 'registration') {
      w.numbers = w.kind === 'batch' ? r.json.registrations.map((x) => x.registration_number)
        : [r.json.registration_number];
    }
    if (w.kind === 'card') issuedCards.push(w.number);
  }

  // ---- the workload: several clients until the server dies (or `stop` is set)
  async function workload(until) {
    let stop = false;
    until.then(() => { stop = true; });
    const client = async () => {
      while (!stop) {
        const w = nextWrite();
        w.epoch = epoch;
        if (w.kind === 'check') {
          stats.checksSent++;
          const c = { epoch, acked: false };
          checks.push(c);
          try {
            const r = await send(w);
            c.acked = r.status === 200;
            if (r.status !== 200 && !stop) throw new Error(`check answered ${r.status}: ${JSON.stringify(r.json)}`);
          } catch (e) {
            if (!stop) throw e;
          }
          if (c.acked) stats.checksAcked++;
          continue;
        }
        writes.push(w);
        stats.sent++;
        w.acked = false;
        try {
          const r = await send(w);
          w.acked = acknowledged(w, r);
          if (w.acked) noteAcknowledged(w, r);
          else if (!stop) violation(`answer ${w.id}`, `${w.kind} ${w.id} answered ${r.status} while the server ran: ${JSON.stringify(r.json).slice(0, 300)}`);
        } catch (e) {
          if (!stop) throw e;
        }
        w.state = w.acked ? 'acked' : 'unacked';
        stats[w.acked ? 'acked' : 'unacked']++;
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
  }

  // ---- verification
  function registrationShares(snap, w) {
    const m = w.stay.marker;
    return {
      registrations: snap.regs.get(m) ?? 0, registration_guests: snap.guests.get(m) ?? 0,
      card_usage_cycles: snap.cycles.get(m) ?? 0, logistics_cards: snap.logistics.get(m) ?? 0,
      card_link_by_cycle: snap.linksByCycle.get(m) ?? 0, card_link_by_card: snap.linksByCard.get(m) ?? 0,
    };
  }
  function registrationExpected(w) {
    const e = w.expect;
    return { registrations: e.regs, registration_guests: e.guests, card_usage_cycles: e.cards,
      logistics_cards: e.cards, card_link_by_cycle: e.cards, card_link_by_card: e.cards };
  }
  function uploadShares(snap, tid, tx) {
    const k = `${tid}#${tx.booking_number}`;
    const s = {
      settlement_transactions: snap.settlement.has(k) ? 1 : 0,
      card_usage_transactions: snap.usage.get(`${tid}#${tx.at}`) ?? 0,
    };
    if (tx.kind === 'purchase') s.settlement_sale_lines = snap.saleLines.get(k) ?? 0;
    return s;
  }
  // What each segment holds of a write, and what it should hold when whole.
  function shares(snap, w) {
    if (w.kind === 'batch' || w.kind === 'registration') {
      return [{ what: `stay ${w.stay.marker}`, got: registrationShares(snap, w), whole: registrationExpected(w),
        expectPresent: true }];
    }
    if (w.kind === 'upload') {
      return w.body.transactions.map((tx) => {
        const got = uploadShares(snap, w.terminal.tid, tx);
        const whole = { settlement_transactions: 1, card_usage_transactions: 1 };
        if (tx.kind === 'purchase') whole.settlement_sale_lines = 1;
        return { what: `${w.terminal.tid} booking ${tx.booking_number}`, got, whole,
          expectPresent: w.present ? w.present.get(tx.booking_number) : true };
      });
    }
    if (w.kind === 'acceptance') {
      const got = uploadShares(snap, w.terminal.tid, w.body);
      return [{ what: `${w.terminal.tid} booking ${w.body.booking_number}`, got,
        whole: { settlement_transactions: 1, card_usage_transactions: 1 }, expectPresent: w.recorded ?? true }];
    }
    if (w.kind === 'card') {
      const id = snap.cards.get(w.number);
      const audits = id === undefined ? 0 : snap.auditByObject.get(`card.issue card:${id}`) ?? 0;
      return [{ what: `card ${w.number}`, got: { cards: id === undefined ? 0 : 1,
        card_events: id === undefined ? 0 : snap.cardEvents.get(id) ?? 0, audit_entries: audits },
      whole: { cards: 1, card_events: 1, audit_entries: 1 }, expectPresent: true }];
    }
    throw new Error(w.kind);
  }
  const isWhole = (p) => Object.keys(p.whole).every((k) => p.got[k] === p.whole[k]);
  const isAbsent = (p) => Object.values(p.got).every((v) => v === 0);
  const show = (p) => Object.entries(p.got).map(([k, v]) => `${k}=${v}/${p.whole[k]}`).join(' ');

  function snapshot() {
    const snap = readSnapshot(storage, dataDir);
    snap.auditByObject = new Map();
    for (const e of snap.audit) {
      if (e.seq <= baseline.auditMax) continue;
      const k = `${e.action} ${e.object}`;
      snap.auditByObject.set(k, (snap.auditByObject.get(k) ?? 0) + 1);
    }
    return snap;
  }

  // An acknowledged write: exactly once in every segment.
  function checkAcknowledged(snap, w) {
    const parts = shares(snap, w);
    const refusedButStored = parts.filter((p) => !p.expectPresent && !isAbsent(p));
    const notOnce = parts.filter((p) => p.expectPresent && !isWhole(p));
    const list = (ps) => `${ps.slice(0, 3).map((p) => `${p.what}: ${show(p)}`).join('; ')}${
      ps.length > 3 ? `; … ${ps.length} in all` : ''}`;
    if (refusedButStored.length) violation(`refused ${w.id}`, `${w.kind} ${w.id} was refused but is stored: ${list(refusedButStored)}`);
    if (notOnce.length) {
      violation(`ack ${w.id}`, `acknowledged ${w.kind} ${w.id} is not present exactly once: ${list(notOnce)}`);
      w.state = 'broken';
    }
    if (w.numbers) {
      const stored = snap.regNumbers.get(w.stay.marker) ?? [];
      const missing = w.numbers.filter((n) => !stored.includes(n));
      if (missing.length) violation(`ack-numbers ${w.id}`, `acknowledged ${w.kind} ${w.id}: registrations ${missing.slice(0, 3).join(', ')} (of ${missing.length}) are not stored`);
    }
  }

  // An unacknowledged write: whole or absent, never half. Returns 'whole', 'absent' or 'half'.
  function checkUnacknowledged(snap, w) {
    const parts = shares(snap, w).filter((p) => p.expectPresent);
    const whole = parts.every(isWhole);
    const absent = parts.every(isAbsent);
    if (whole) return 'whole';
    if (absent) return 'absent';
    const bad = parts.filter((p) => !isWhole(p) && !isAbsent(p));
    const mixed = bad.length === 0 ? ' (some transactions of the batch stored, others not)' : '';
    violation(`half ${w.id}`, `unacknowledged ${w.kind} ${w.id} is half-written${mixed}: ${
      (bad.length ? bad : parts).slice(0, 3).map((p) => `${p.what}: ${show(p)}`).join('; ')}`);
    return 'half';
  }

  // The audit trail: intact, and naming exactly the registrations and cards there are.
  const orphanEntries = new Set();
  function checkAudit(snap) {
    try {
      const out = passwerk(['audit', 'verify', '--data', dataDir], { env: server.env });
      if (!/intact/.test(out)) violation(`audit verify ${out}`, `audit verify: ${out.trim()}`);
    } catch (e) {
      violation(`audit verify ${e.stdout}${e.stderr}`, `audit verify failed: ${(e.stdout + e.stderr).trim().slice(0, 300)}`);
    }
    const audited = new Set();
    const auditedCards = new Set();
    let auditedLinks = 0;
    for (const e of snap.audit) {
      if (e.seq <= baseline.auditMax) continue;
      if (e.action === 'registration.create') for (const n of JSON.parse(e.detail).registrations) audited.add(n);
      if (e.action === 'card.issue') auditedCards.add(e.object.replace(/^card:/, ''));
      if (e.action === 'card_link.enrol_guest_data') auditedLinks += JSON.parse(e.detail).links;
    }
    // An entry naming only registrations that are not stored is the audit
    // trail's half of an unacknowledged write whose data is absent.
    for (const e of snap.audit) {
      if (e.seq <= baseline.auditMax || e.action !== 'registration.create' || orphanEntries.has(e.seq)) continue;
      const numbers = JSON.parse(e.detail).registrations;
      if (numbers.every((n) => !snap.allRegNumbers.has(n))) {
        orphanEntries.add(e.seq);
        stats.half++;
        stats.halfAudit++;
        if (stats.absent > 0) stats.absent--;  // counted absent above: absent from the data segments only
      }
    }
    const stored = [...snap.allRegNumbers].filter((n) => !baselineRegs.has(n));
    const notAudited = stored.filter((n) => !audited.has(n));
    const notStored = [...audited].filter((n) => !snap.allRegNumbers.has(n));
    if (notAudited.length) violation(`audit regs missing ${stored.length - audited.size}`, `${notAudited.length} stored registrations have no registration.create audit entry (e.g. ${notAudited[0]}); ${audited.size} audited, ${stored.length} stored`);
    if (notStored.length) violation(`audit regs extra ${audited.size - stored.length}`, `the audit trail names ${notStored.length} registrations that are not stored (e.g. ${notStored[0]}); ${audited.size} audited, ${stored.length} stored`);
    const cardIds = [...snap.cards.values()].filter((id) => !baselineCards.has(id));
    const cardsNotAudited = cardIds.filter((id) => !auditedCards.has(id));
    const auditNoCard = [...auditedCards].filter((id) => !cardIds.includes(id));
    if (cardsNotAudited.length) violation(`audit cards missing ${cardsNotAudited.length}`, `${cardsNotAudited.length} issued cards have no card.issue audit entry (e.g. card id ${cardsNotAudited[0]})`);
    if (auditNoCard.length) violation(`audit cards extra ${auditNoCard.length}`, `${auditNoCard.length} card.issue audit entries name no stored card (e.g. card:${auditNoCard[0]})`);
    const links = snap.linkCount - baseline.linkCount;
    if (auditedLinks !== links) violation(`audit links ${auditedLinks - links}`, `card_link.enrol_guest_data entries count ${auditedLinks} links, card_link holds ${links} new links`);
  }

  // Check records, in checks.checks and still in the spool: at most once
  // each (every check was of another number, so of another pseudonym).
  function checkChecks(snap) {
    const seen = new Map();
    for (const p of snap.checkPseudonyms) seen.set(p, (seen.get(p) ?? 0) + 1);
    const twice = [...seen].filter(([, n]) => n > 1);
    if (twice.length) {
      violation(`check dup ${twice.length}`, `${twice.length} checks are recorded more than once (checks.checks and the spool), e.g. pseudonym ${twice[0][0]} ${twice[0][1]} times`);
    }
    const records = snap.checkPseudonyms.length - baseline.checkPseudonyms.length;
    if (records > stats.checksSent) violation(`check count ${records}`, `${records} check records for ${stats.checksSent} checks sent`);
    return records;
  }

  async function verifyAfterRestart() {
    let snap = snapshot();
    // Writes answered before: still exactly once.
    for (const w of writes) if (w.state === 'acked' || w.state === 'retried') checkAcknowledged(snap, w);
    // Writes of the kill just survived: whole or absent.
    const open = writes.filter((w) => w.state === 'unacked');
    for (const w of open) {
      const outcome = checkUnacknowledged(snap, w);
      stats[outcome === 'half' ? 'half' : outcome]++;
      w.outcome = outcome;
    }
    checkAudit(snap);
    checkChecks(snap);
    // The client retries what it heard no answer for, with the same key.
    if (open.length) {
      await loginTerminals();
      for (const w of open) {
        stats.retried++;
        let r;
        try {
          r = await send(w);
        } catch (e) {
          throw new Error(`retry of ${w.kind} ${w.id} failed: ${e.message}`);
        }
        w.retryStatus = r.status;
        if (!acknowledged(w, r)) {
          violation(`retry ${w.id}`, `retry of ${w.outcome} ${w.kind} ${w.id} with the same Idempotency-Key answered ${r.status}: ${JSON.stringify(r.json).slice(0, 200)}`);
          w.state = 'broken';
          stats.retryBad++;
          continue;
        }
        noteAcknowledged(w, r);
        w.state = 'retried';
      }
      snap = snapshot();
      for (const w of open) {
        if (w.state !== 'retried') continue;
        const before = violations.length;
        checkAcknowledged(snap, w);
        if (violations.length === before && w.state === 'retried') stats.retryOnce++;
        else {
          stats.retryBad++;
          if (violations.length > before) violations[violations.length - 1] += ` — after a retry of the ${w.outcome} write`;
        }
      }
      checkAudit(snap);
    }
  }

  function killServer() {
    return new Promise((resolve) => {
      if (server.child.exitCode !== null || server.child.signalCode !== null) { resolve(); return; }
      server.child.on('exit', () => resolve());
      server.child.kill('SIGKILL');
    });
  }
  async function gracefulStop() {
    await server.stop({ keepData: true });
  }
  async function restart() {
    server = await startServer({ dataDir, demo: false, pgUrl: db.pgUrl, env });
  }

  try {
    for (epoch = 1; epoch <= KILLS; epoch++) {
      const delay = between(MIN_DELAY, MAX_DELAY);
      let killed;
      const until = new Promise((resolve) => { killed = resolve; });
      const load = workload(until);
      await new Promise((resolve) => setTimeout(resolve, delay));
      const kill = killServer();
      killed();
      await kill;
      await load;
      const inFlight = writes.filter((w) => w.state === 'unacked' && w.epoch === epoch).length;
      await restart();
      await verifyAfterRestart();
      log(`${engineName} kill ${epoch}/${KILLS} after ${delay} ms: ${writes.length} writes, ${inFlight} in flight, ${violations.length} violations so far`);
    }

    // Partner-check records: exactly once after a graceful stop. Stop
    // gracefully (the spool is imported), count, check for a while, stop
    // gracefully again, restart: every acknowledged check of that phase has
    // its record.
    epoch = KILLS + 1;
    await gracefulStop();
    await restart();
    const before = snapshot();
    checkChecks(before);
    const finalChecks = [];
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      for (let i = 0; i < 25; i++) {
        const number = stockNumber(schemeCode, 90000000 + ++checkSerial);
        stats.checksSent++;
        const r = await call('POST', '/api/v1/checks', { token: partnerKey, body: { card_number: number, name: 'Cra' } });
        finalChecks.push(r.status === 200);
        if (r.status === 200) stats.checksAcked++;
      }
    }));
    await gracefulStop();
    await restart();
    const after = snapshot();
    for (const snap of [before, after]) {
      if (snap.checkPseudonyms.length !== snap.checkRecords) violation(`spool ${snap.checkPseudonyms.length}`, `after a graceful stop ${snap.checkPseudonyms.length - snap.checkRecords} check records are still in the spool, not imported`);
    }
    const recorded = after.checkPseudonyms.length - before.checkPseudonyms.length;
    const ackedFinal = finalChecks.filter(Boolean).length;
    if (recorded !== ackedFinal) violation('final checks', `after a graceful stop ${recorded} check records for ${ackedFinal} acknowledged checks (expected exactly once each)`);
    const checkRecords = checkChecks(after);
    for (const w of writes) if (w.state === 'acked' || w.state === 'retried') checkAcknowledged(after, w);
    checkAudit(after);
    await gracefulStop();

    stats.registrations = after.allRegNumbers.size - baselineRegs.size;
    stats.cardsIssued = [...after.cards.values()].filter((id) => !baselineCards.has(id)).length;
    stats.terminalTx = after.settlement.size - baseline.settlement.size;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const summary = `crash ${engineName}: seed ${seed}, ${KILLS} kills, ${seconds} s; writes ${stats.sent} (acknowledged ${stats.acked}, unacknowledged ${stats.unacked}: whole ${stats.whole}, absent ${stats.absent}, half-written ${stats.half}, of them ${stats.halfAudit} only in the audit trail); retries ${stats.retried} (exactly once ${stats.retryOnce}, not ${stats.retryBad}); stored: ${stats.registrations} registrations, ${stats.terminalTx} terminal transactions, ${stats.cardsIssued} cards; checks ${stats.checksSent} sent, ${stats.checksAcked} acknowledged, ${checkRecords} records; violations ${violations.length}`;
    return { summary, violations };
  } finally {
    try { await killServer(); } catch { /* already gone */ }
    rmSync(dataDir, { recursive: true, force: true });
    try { db.cleanup(); } catch { /* dropped already */ }
  }
}

// ---------------------------------------------------------------- main

const wanted = ENGINE === 'both' ? ['sqlite', 'postgresql'] : [ENGINE];
log(`crash test: seed ${SEED} (repeat with --seed ${SEED}), ${KILLS} kills, engines ${wanted.join(', ')}`);
const summaries = [];
const allViolations = [];
let skipped = false;
for (const [i, name] of wanted.entries()) {
  const result = await runEngine(name, (SEED + i * 7919) >>> 0);
  if (result.skipped) {
    log(`crash ${name}: skipped: ${result.skipped}`);
    skipped = true;
    continue;
  }
  summaries.push(result.summary);
  allViolations.push(...result.violations);
}
for (const s of summaries) log(s);
if (allViolations.length) {
  log(`\n${allViolations.length} violations:`);
  for (const v of allViolations) log(`  ${v}`);
  process.exit(1);
}
process.exit(skipped && summaries.length === 0 ? 77 : 0);
