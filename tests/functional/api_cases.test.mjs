// Runs every tests/api/*.http case file against the real binary, on SQLite
// and on PostgreSQL, each file on a fresh server with the demo dataset (made
// once per engine and copied for each file).
// The variables a file may use: the demo's (below), API tokens made with the
// command line when a file uses them, computed terminal login signatures, and
// what the file's own set-up (setups, below) adds.
import { after, test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { demoTemplate, startServer } from '../lib/server.mjs';
import { parseCases, runCase, variablesUsed } from '../lib/http_cases.mjs';
import { engines } from '../lib/engines.mjs';
import { addLandlord, berlinDay, createToken, guestSchemeCode, loadAnnualTariff, stockNumber }
  from '../lib/guest_fixture.mjs';
import { JULY_2026_ENV, readTerminalKey, signLogin, uploadDemoJuly } from '../lib/terminal.mjs';

const casesDir = new URL('../api/', import.meta.url).pathname;

// Tokens by variable name: [demo user, scopes]. Made before a file's first
// case if the file uses the variable (each costs a run of the binary).
const TOKENS = {
  operator_token: ['operator', 'users:read,users:write,audit:read,cards:write,schemes:write'],
  // Tokens that must reach no more than their scopes and their owner's role allow.
  operator_reader_token: ['operator', 'users:read,audit:read'],
  clerk_statistics_token: ['clerk', 'statistics:read'],
  landlord_reader_token: ['landlord', 'registrations:read'],
  reader_token: ['auditor', 'users:read'],
  admin_token: ['admin', 'users:read,users:write'],
  clerk_token: ['clerk', 'registrations:write'],
  office_admin_token: ['admin', 'registrations:write'],
  statistics_token: ['admin', 'statistics:read'],
  settlement_token: ['admin', 'settlement:write'],
  settlement_reader_token: ['auditor', 'settlement:read'],
  settlement_clerk_token: ['clerk', 'statistics:read,registrations:read'],
  // The clerks of the demo's two offices (departments) and its administrator.
  social_clerk_token: ['sozialamt', 'cards:write'],
  volunteer_clerk_token: ['ehrenamt', 'cards:write'],
  admin_cards_token: ['admin', 'cards:write,schemes:write,users:read,users:write'],
};

// Set-up a case file needs beyond that, by file name: what only JavaScript
// can make. Each returns more variables; a function is computed at each use.
const setups = {
  'registrations.http': (server) => ({ other_landlord_token: addLandlord(server, 'vermieter.zwei') }),
  'terminals.http': (server) => {
    const { key } = readTerminalKey(server.demo.terminals.find((t) => t.tid === 'T-BAD-01').key_file);
    return {
      // The pool terminal's key used for another terminal and for an unknown TID.
      pool_key_signature_for_bus: (vars) => signLogin(key, 'T-BUS-01', vars.challenge),
      pool_key_signature_for_nobody: (vars) => signLogin(key, 'T-NOBODY', vars.challenge),
      // One more than the 1000 transactions a batch may hold: bus rides of {{card}}.
      too_many_transactions: (vars) => JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({
        booking_number: 100 + i, at: `${vars.today}T10:00:00`, vu_number: '100200', operator: '1', kind: 'acceptance',
        consumption: { card_number: vars.card, circulation_counter: 1, municipality_number: '01055021',
          issuing_office: '4711', service_number: '301', package_number: '9000' },
      }))),
    };
  },
  'card_stock.http': async (server) => {
    // Numbers of the guest-card scheme with their Luhn digit, for the production files.
    const code = await guestSchemeCode(server);
    return Object.fromEntries([1, 2, 3].map((i) => [`stock_${i}`, stockNumber(code, 90000 + i)]));
  },
  'annual_cards.http': (server) => {
    loadAnnualTariff(server);
    return {};
  },
  'settlement.http': async (server) => {
    if (!(await uploadDemoJuly(server.url, server.demo))) throw new Error('the demo has no terminals');
    return {};
  },
};

// Variables from the demo dataset: partner check, guest cards, terminals, dates.
function demoVars(demo) {
  const pc = demo.partner_check;
  const byReason = (r) => pc.cards.find((c) => (c.expect.reason || 'valid') === r).card_number;
  const valid = byReason('valid');
  const vars = {
    server_key: pc.server_key,
    publishable_key: pc.publishable_key,
    valid_card: valid,
    valid_card_grouped: `${valid.slice(0, 4)} ${valid.slice(4, 8)}-${valid.slice(8)}`,
    expired_card: byReason('expired'),
    blocked_card: byReason('blocked'),
    unknown_card: byReason('no_match'),
    landlord_token: demo.guest_cards.landlord_token,
    accommodation_id: demo.guest_cards.accommodation_id,
    terminals_token: demo.terminals_token,
    // The demo's two offices: {{social_department}} owns the social pass, {{volunteer_department}}
    // the volunteer card {{volunteer_card}}.
    social_department: demo.departments.find((d) => d.clerk === 'sozialamt').id,
    volunteer_department: demo.departments.find((d) => d.clerk === 'ehrenamt').id,
    volunteer_card: demo.departments.find((d) => d.clerk === 'ehrenamt').cards[0],
    volunteer_scheme: demo.departments.find((d) => d.clerk === 'ehrenamt').scheme,
    tourist_department: demo.department.id,
    today: berlinDay(),
    year: Number(berlinDay().slice(0, 4)),
  };
  // {{pool_signature}}, {{bus_signature}}: the latest {{challenge}} signed by
  // the demo terminal T-BAD-01 (the pool) or T-BUS-01 for its own TID.
  for (const [name, tid] of [['pool_signature', 'T-BAD-01'], ['bus_signature', 'T-BUS-01']]) {
    const terminal = demo.terminals.find((t) => t.tid === tid);
    if (terminal) vars[name] = (v) => signLogin(readTerminalKey(terminal.key_file).key, tid, v.challenge);
  }
  return vars;
}

// The server's environment per file, where a file needs more than the defaults.
const serverEnvs = { 'settlement.http': JULY_2026_ENV };

for (const engine of engines()) {
  let template = null;
  after(() => {
    template?.remove();
    template?.db.cleanup();
  });
  for (const file of readdirSync(casesDir).filter((f) => f.endsWith('.http')).sort()) {
    test(`${engine.name}: ${file}`, async (t) => {
      const cases = parseCases(join(casesDir, file));
      const used = variablesUsed(cases);
      if (!template) {
        const db = engine.setup();
        template = { ...demoTemplate({ pgUrl: db.pgUrl }), db };
      }
      const db = engine.setup({ template: template.db.database });
      const server = await startServer({ pgUrl: db.pgUrl, template, env: serverEnvs[file] ?? {} });
      try {
        const vars = demoVars(server.demo);
        for (const [name, [username, scopes]] of Object.entries(TOKENS)) {
          if (used.has(name)) vars[name] = createToken(server, username, scopes);
        }
        Object.assign(vars, await setups[file]?.(server));
        for (const testCase of cases) {
          await t.test(testCase.title, () => runCase(server.url, testCase, vars));
        }
      } finally {
        await server.stop();
        db.cleanup();
      }
    });
  }
}
