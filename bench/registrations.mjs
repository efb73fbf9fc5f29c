// Load tool for scripts/bench registrations: POST /api/v1/registrations/batch
// back to back, each batch BATCH registrations of two guests with a guest
// card each (the example of docs/guest-cards.md), from CONCURRENCY clients.
//
//   node bench/registrations.mjs URL TOKEN ACCOMMODATION TOTAL [BATCH] [CONCURRENCY]
//
// Prints one line: registrations=… seconds=… registrations_per_s=… cards_per_s=…
// Bodies are built before the clock starts; stays are spread over the year
// 2026 so that the retention run afterwards has every kind of date.
const [url, token, accommodation, totalArg, batchArg = '500', concurrencyArg = '2'] = process.argv.slice(2);
if (!url || !token || !accommodation || !totalArg) {
  console.error('usage: registrations.mjs URL TOKEN ACCOMMODATION TOTAL [BATCH] [CONCURRENCY]');
  process.exit(2);
}
const total = Number(totalArg);
const batchSize = Number(batchArg);
const concurrency = Number(concurrencyArg);

function iso(day) {
  return new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10);
}

function registration(i) {
  const start = i % 350;
  const nights = 1 + (i % 13);
  const guest = (given, birth) => ({
    family_name: `Gast${i}`, given_name: given, birth_date: birth, nationality: 'DE', gender: i % 2 ? 'f' : 'm',
    address: { street: 'Hauptstraße 5', postal_code: String(10000 + (i * 7919) % 89999), city: 'Musterstadt',
      country: 'DE' },
    reductions: [], card: true,
  });
  return {
    accommodation_id: accommodation, arrival: iso(start), departure: iso(start + nights),
    guests: [guest('Erika', '1980-05-01'), guest('Max', '2015-06-01')], group: null, marketing_consent: i % 3 === 0,
  };
}

const bodies = [];
for (let done = 0; done < total; done += batchSize) {
  const list = [];
  for (let i = done; i < Math.min(total, done + batchSize); i++) list.push(registration(i));
  bodies.push(JSON.stringify({ registrations: list }));
}

let next = 0;
let registered = 0;
async function client() {
  while (next < bodies.length) {
    const body = bodies[next++];
    const response = await fetch(`${url}/api/v1/registrations/batch`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body,
    });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`status ${response.status}: ${text.slice(0, 300)}`);
    registered += JSON.parse(text).registrations.length;
  }
}

const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, client));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`registrations=${registered} seconds=${seconds.toFixed(2)} ` +
  `registrations_per_s=${Math.round(registered / seconds)} cards_per_s=${Math.round((2 * registered) / seconds)}`);
