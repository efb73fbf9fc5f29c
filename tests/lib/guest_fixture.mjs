// The guest-card world the functional, browser and API-case tests share, on
// top of the demo dataset (`passwerk demo`): tokens and users made with the
// command line, guests and their registrations, the tariff with an annual
// rate, stock cards with their stickers and production files, Berlin dates.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { passwerk } from './server.mjs';

// Hohenkirchen's tariff has an annual rate (€32, reduced €16); the demo's Kellenhusen one has none.
export const ANNUAL_TARIFF = fileURLToPath(new URL('../../web/static/tariffs/hohenkirchen-2024.json', import.meta.url));

// A day in Europe/Berlin as YYYY-MM-DD, as the server computes dates: today, or that many days later.
export function berlinDay(offsetDays = 0) {
  return new Date(Date.now() + offsetDays * 86400000).toLocaleDateString('sv-SE', { timeZone: 'Europe/Berlin' });
}

// YYYY-MM-DD plus n days.
export function addDays(iso, n) {
  return new Date(Date.parse(`${iso}T12:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
}

// A guest as a registration lists it: a member of the Zauberlehrling family from Erlangen, with a card.
export function guest(overrides = {}) {
  return {
    family_name: 'Zauberlehrling', given_name: 'Erika', birth_date: '1980-05-01', nationality: 'DE', gender: 'f',
    address: { street: 'Hauptstraße 5', postal_code: '91052', city: 'Erlangen', country: 'DE' },
    reductions: [], card: true, ...overrides,
  };
}

// A guest who brings a card from the stock: its sticker instead of a drawn card. A sailor from Kiel.
export function guestWithSticker(barcode, overrides = {}) {
  return guest({ family_name: 'Seemann', address: { street: 'Hafenweg 2', postal_code: '24103', city: 'Kiel',
    country: 'DE' }, card: undefined, card_barcode: barcode, ...overrides });
}

// The twelve-digit number of a stock card: scheme code, eight-digit serial, Luhn digit.
export function stockNumber(schemeCode, serial) {
  const body = schemeCode + String(serial).padStart(8, '0');
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

// The sticker (barcode) of a Kellenhusen card: municipality, issuing office 4711, card type 1.0, number, counter.
export function sticker(number, counter = 1) {
  return `010550210047110001${number}${String(counter).padStart(2, '0')}`;
}

export const PRODUCTION_HEADER =
  'Batch;Produktionsdatum;Kartentyp;Kartennummer;Umlaufzähler;Gemeindenummer;Gemeindeteilnummer;Ausgabestelle\r\n';

// A production file (card producer's CSV) of those numbers; `cardType(i)` picks a type per line.
export function productionFile(batch, numbers, { date = '01.03.2026', cardType = () => '1.0' } = {}) {
  return PRODUCTION_HEADER + numbers.map((n, i) => `${batch};${date};${cardType(i)};${n};1;01055021;00;4711\r\n`)
    .join('');
}

// A call of the JSON API: status, headers and the parsed body (null when empty).
// A string body is sent as it is, with `type` as its content type.
export async function api(server, method, path, token, body, type = 'application/json') {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = type;
  const response = await fetch(server.url + path, {
    method, headers, body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : null };
}

// An API token for a demo user (or any user), made with `passwerk token create`.
export function createToken(server, username, scopes, name = 'test') {
  const out = passwerk(['token', 'create', '--data', server.dataDir, '--username', username, '--name', name,
    '--scopes', scopes], { env: server.env });
  const match = out.match(/secret \(shown once, store it now\): (\S+)/);
  if (!match) throw new Error(`no token in: ${out}`);
  return match[1];
}

// A second landlord of the demo municipality, with no accommodation; returns a token of its software.
export function addLandlord(server, username) {
  passwerk(['user', 'add', '--data', server.dataDir, '--username', username, '--name', username, '--role', 'landlord',
    '--municipality', server.demo.municipality.number, '--password-stdin'],
  { env: server.env, input: 'another-long-password\n', stdio: ['pipe', 'pipe', 'pipe'] });
  return createToken(server, username, 'registrations:write', 'software');
}

// Loads the tariff with an annual rate for the demo municipality.
export function loadAnnualTariff(server) {
  passwerk(['tariff', 'load', '--data', server.dataDir, '--municipality', '01055021', ANNUAL_TARIFF],
    { env: server.env });
}

// The demo landlord registers guests at its accommodation; returns the answer (cards, registration number).
export async function register(server, guests, { arrival = '2026-03-29', departure = addDays(arrival, 5),
  marketingConsent = false } = {}) {
  const { landlord_token: token, accommodation_id: accommodation } = server.demo.guest_cards;
  const r = await api(server, 'POST', '/api/v1/registrations', token, {
    accommodation_id: accommodation, arrival, departure, guests, group: null, marketing_consent: marketingConsent,
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
}

// The scheme code of the demo's guest cards (the first three digits of any
// card it draws), for stock card numbers: found by registering one guest.
export async function guestSchemeCode(server) {
  const probe = await register(server, [guest({ family_name: 'Probe', given_name: 'P', birth_date: '1970-01-01' })],
    { arrival: '2026-06-01', departure: '2026-06-02' });
  return probe.cards[0].card_number.slice(0, 3);
}
