// The partner widget end to end in Chromium: the example booking page
// (examples/partner-booking) on its own origin includes the widget from
// Passwerk, books with a valid card (the example server verifies the signed
// verdict offline) and is refused with an invalid one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../lib/browser.mjs';
import { startServer, passwerk } from '../lib/server.mjs';

let server;
let example;
let exampleUrl;
let browser;
let validCard;

before(async () => {
  server = await startServer();
  validCard = server.demo.partner_check.cards.find((c) => c.expect.valid);
  // The example runs on a free port: register a partner for exactly that origin.
  const portProbe = await new Promise((resolve) => {
    const probe = spawn(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"]);
    probe.stdout.on('data', (d) => resolve(Number(String(d).trim())));
  });
  exampleUrl = `http://127.0.0.1:${portProbe}`;
  passwerk(['partner', 'add', '--data', server.dataDir, '--municipality', server.demo.municipality.number,
    '--name', 'Musikschule Beispiel', '--schemes', server.demo.partner_check.scheme, '--origins', exampleUrl],
  { env: server.env });
  const partners = passwerk(['partner', 'list', '--data', server.dataDir], { env: server.env });
  const partnerId = partners.match(/^(\d+)\tMusikschule Beispiel$/m)[1];
  const created = passwerk(['partner', 'key-create', '--data', server.dataDir, '--partner', partnerId, '--kind', 'publishable'],
    { env: server.env });
  const key = created.match(/(pwpk_\S+)/)[1];
  example = spawn(process.execPath, [new URL('../../examples/partner-booking/server.mjs', import.meta.url).pathname], {
    env: { ...process.env, PASSWERK_URL: server.url, PASSWERK_KEY: key, PORT: String(portProbe) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => example.stdout.on('data', (d) => { if (String(d).includes('listening')) resolve(); }));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  example?.kill('SIGTERM');
  const result = await server?.stop();
  assert.equal(result?.code, 0, 'passwerk exits cleanly');
});

async function openBookingPage() {
  const page = await browser.newPage();
  const foreign = [];
  page.on('request', (r) => {
    const origin = new URL(r.url()).origin;
    if (origin !== exampleUrl && origin !== server.url) foreign.push(r.url());
  });
  await page.goto(`${exampleUrl}/`);
  await page.getByLabel('Kartennummer').waitFor();
  return { page, foreign };
}

test('a valid card books at the reduced price', async () => {
  const { page, foreign } = await openBookingPage();
  await page.getByLabel('Name der Teilnehmerin').fill('Erika Müller');
  await page.getByLabel('Kartennummer').fill(validCard.card_number);
  await page.getByLabel('Die ersten drei Buchstaben').fill(validCard.name);
  await Promise.all([page.waitForURL(`${exampleUrl}/book`), page.getByRole('button', { name: 'Ermäßigt buchen' }).click()]);
  await page.getByRole('heading', { name: 'Buchung bestätigt' }).waitFor();
  assert.deepEqual(foreign, []);
  await page.close();
});

test('an invalid card is refused in the page and the form is not sent', async () => {
  const { page } = await openBookingPage();
  await page.getByLabel('Name der Teilnehmerin').fill('Mallory');
  await page.getByLabel('Kartennummer').fill(validCard.card_number);
  await page.getByLabel('Die ersten drei Buchstaben').fill('Xyz');
  await page.getByRole('button', { name: 'Ermäßigt buchen' }).click();
  await page.getByText('Kartennummer und Name passen nicht zusammen.').waitFor();
  assert.equal(page.url(), `${exampleUrl}/`);
  await page.close();
});

test('the example server refuses a forged verdict', async () => {
  const response = await fetch(`${exampleUrl}/book`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ participant: 'x', passwerk_card_number: validCard.card_number,
      passwerk_verdict: 'eyJhbGciOiJFZERTQSJ9.eyJ2YWxpZCI6dHJ1ZX0.AAAA' }).toString(),
  });
  assert.equal(response.status, 400);
});
