// Browser tests of the guest-card uploads and the card stock, on every engine
// (SQLite, and PostgreSQL under scripts/with-postgres): a landlord uploads a
// CSV batch on a phone-sized screen — all or nothing, every problem at the
// file field —, office staff import a production file, page through and
// filter the stock, hand out a card before the stay and re-initialise a
// returned one. Real binary, Debian's Chromium, axe-core.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite } from '../lib/browser.mjs';
import { engines } from '../lib/engines.mjs';
import { passwerk } from '../lib/server.mjs';
import { guestSchemeCode, guestWithSticker, productionFile, register, sticker, stockNumber }
  from '../lib/guest_fixture.mjs';

const NAV = 'nav[aria-label="Hauptnavigation"]';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

const spaced = (n) => `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}`;

const CSV_HEADER = 'Meldeschein;Unterkunft;Anreise;Abreise;Familienname;Vorname;Geburtsdatum;Staatsangehörigkeit;' +
  'Geschlecht;Straße;PLZ;Ort;Land\r\n';
const csvRow = (group, accommodation, given, birth, postal = '24103') =>
  `${group};${accommodation};29.03.2026;03.04.2026;Seemann;${given};${birth};DE;w;Hafenweg 2;${postal};Kiel;DE\r\n`;
const file = (name, text) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });

for (const engine of engines()) {
  describe(engine.name, () => {
    const ui = browserSuite({ engine });
    const { withPage, checkA11y, submit, login } = ui;

    test('a landlord uploads a CSV batch on a phone: every problem at the field, then all registrations', async () => {
      const accommodation = ui.server.demo.guest_cards.accommodation_id;
      await withPage(PHONE, async (page) => {
        await login(page, 'landlord');
        assert.equal(await page.locator(`${NAV} a[href="/card-stock"]`).count(), 0, 'landlords see no card stock');
        await page.goto(`${ui.base}/registrations/new`);
        await checkA11y(page, 'new registration with the CSV upload');

        // The template has the German column names and the landlord's accommodation.
        const template = await page.evaluate(async () =>
          (await fetch(document.querySelector('main a[href="/registrations/vorlage.csv"]').href)).text());
        assert.match(template, /^\uFEFF?Meldeschein;Unterkunft;Anreise;Abreise;Familienname;Vorname;Geburtsdatum;/);
        assert.ok(template.includes(`;${accommodation};`), 'the template names the landlord\'s accommodation');

        // No file chosen.
        await submit(page, 'form[action="/registrations/csv"]');
        assert.equal(await page.locator('#f-csv_file').getAttribute('aria-invalid'), 'true');
        assert.match(await page.locator('[role="alert"]').first().innerText(), /Bitte wählen Sie eine CSV-Datei aus/);

        // Two bad rows: every problem with line and column, linked to the file field; nothing stored.
        await page.setInputFiles('#f-csv_file', file('gaeste.csv', CSV_HEADER +
          csvRow('1', accommodation, 'Erika', '01.05.1980') +
          csvRow('1', accommodation, 'Max', '') +
          csvRow('2', accommodation, 'Ida', '02.02.1990', 'X1234')));
        await submit(page, 'form[action="/registrations/csv"]');
        const summary = await page.locator('[role="alert"]').first().innerText();
        assert.match(summary, /Die Datei enthält 2 Fehler\. Es wurde kein Meldeschein gespeichert\./);
        assert.match(summary, /Zeile 3, Spalte „Geburtsdatum“/);
        assert.match(summary, /Zeile 4, Spalte „PLZ“/);
        assert.equal(await page.locator('[role="alert"] a[href="#f-csv_file"]').count(), 3);
        assert.equal(await page.locator('#f-csv_file').getAttribute('aria-invalid'), 'true');
        await checkA11y(page, 'CSV upload with problems');
        await page.goto(`${ui.base}/registrations`);
        assert.match(await page.locator('main').innerText(), /Noch keine Meldescheine/);

        // The good file: two registrations, their numbers, spa tax and cards.
        await page.goto(`${ui.base}/registrations/new`);
        await page.setInputFiles('#f-csv_file', file('gaeste.csv', CSV_HEADER +
          csvRow('1', accommodation, 'Erika', '01.05.1980') +
          csvRow('1', accommodation, 'Max', '01.06.2015') +
          csvRow('2', accommodation, 'Ida', '02.02.1990')));
        await submit(page, 'form[action="/registrations/csv"]');
        const main = await page.locator('main').innerText();
        assert.match(main, /2 Meldescheine aus der Datei gaeste\.csv sind gespeichert/);
        const rows = page.locator('main table tbody tr');
        assert.equal(await rows.count(), 2);
        assert.match(await rows.nth(0).innerText(), /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\s+2, 3\s+12,00 €\s+Gast 1: \d{4} \d{4} \d{4}\s+Gast 2: \d{4} \d{4} \d{4}/);
        assert.match(await rows.nth(1).innerText(), /\s4\s+12,00 €\s+Gast 1: \d{4} \d{4} \d{4}/);
        await checkA11y(page, 'CSV batch saved');
        await page.goto(`${ui.base}/registrations`);
        assert.equal(await page.locator('main table tbody tr').count(), 2, 'both registrations are stored');
      });
    });

    test('office staff work with the card stock; landlords and auditors may not', async () => {
      const code = await guestSchemeCode(ui.server);
      const numbers = Array.from({ length: 60 }, (_, i) => stockNumber(code, 70000 + i));
      const pav0401 = { date: '01.04.2026', cardType: (i) => (i % 6 === 5 ? '2.0' : '1.0') };

      await withPage({}, async (page) => {
        await login(page, 'admin');
        await page.click(`${NAV} a[href="/card-stock"]`);
        await page.waitForURL('**/card-stock');
        await checkA11y(page, 'card stock');
        // Cards drawn for registrations are listed too (in service); the stock itself is empty.
        await page.goto(`${ui.base}/card-stock?status=in_stock`);
        assert.match(await page.locator('main').innerText(), /Keine Karten mit dieser Auswahl/);
        await checkA11y(page, 'card stock (none in stock)');

        // A production file with a bad line imports nothing.
        await page.setInputFiles('#f-production_file', file('pav-0401.csv',
          productionFile('B-0401', [numbers[0]], pav0401) +
          `B-0401;31.02.2026;1.0;${numbers[1]};1;01055021;00;4711\r\n`));
        await submit(page, 'form[action="/card-stock/import"]');
        const summary = await page.locator('[role="alert"]').first().innerText();
        assert.match(summary, /Die Datei enthält 1 Fehler\. Es wurde keine Karte eingelesen\./);
        assert.match(summary, /Zeile 3, Spalte „Produktionsdatum“/);
        assert.equal(await page.locator('[role="alert"] a[href="#f-production_file"]').count(), 2);
        assert.equal(await page.locator('#f-production_file').getAttribute('aria-invalid'), 'true');
        assert.doesNotMatch(await page.locator('main').innerText(), /B-0401/);
        await checkA11y(page, 'card stock with import problems');

        // The good file: 60 cards in stock, 50 on the first page.
        await page.setInputFiles('#f-production_file',
          file('pav-0401.csv', productionFile('B-0401', numbers, pav0401)));
        await submit(page, 'form[action="/card-stock/import"]');
        assert.match(await page.locator('main').innerText(), /60 Karten aus der Datei pav-0401\.csv sind im Bestand \(Charge: B-0401\)/);
        await checkA11y(page, 'card stock imported');
        await page.goto(`${ui.base}/card-stock?status=in_stock`);
        assert.equal(await page.locator('main table tbody tr').count(), 50);
        await Promise.all([page.waitForNavigation(), page.click('main nav a:has-text("Nächste Seite")')]);
        assert.equal(new URL(page.url()).searchParams.get('page'), '2');
        assert.equal(await page.locator('main table tbody tr').count(), 10);
        await checkA11y(page, 'card stock page 2');

        // Filter by card type and status.
        await page.goto(`${ui.base}/card-stock`);
        await page.selectOption('#f-card_type', '2.0');
        await page.selectOption('#f-status', 'in_stock');
        await submit(page, 'form[action="/card-stock"]');
        assert.equal(await page.locator('main table tbody tr').count(), 10);
        assert.match(await page.locator('main table').innerText(), /2\.0 Kinder/);
        assert.doesNotMatch(await page.locator('main table').innerText(), /1\.0 Erwachsene/);
      });

      await withPage({}, async (page) => {
        await login(page, 'clerk');
        await page.goto(`${ui.base}/card-stock`);
        assert.equal(await page.locator('form[action="/card-stock/import"]').count(), 0, 'clerks do not import');
        assert.equal(await page.locator('form[action="/card-stock/hand-out"]').count(), 1);

        // Hand out a stock card before the stay.
        await page.fill('#f-card_barcode', 'abc');
        await submit(page, 'form[action="/card-stock/hand-out"]');
        assert.equal(await page.locator('#f-card_barcode').getAttribute('aria-invalid'), 'true');
        assert.equal(await page.locator('[role="alert"] a[href="#f-card_barcode"]').count(), 1);
        await page.fill('#f-card_barcode', sticker(numbers[1], 1));
        await submit(page, 'form[action="/card-stock/hand-out"]');
        assert.match(await page.locator('main').innerText(),
          new RegExp(`Karte ${spaced(numbers[1])} \\(1\\.0 Erwachsene\\) ist ausgegeben und gilt 28 Tage ab ihrer ersten Nutzung`));
        await checkA11y(page, 'card handed out');
        await page.fill('#f-card_barcode', sticker(numbers[1], 1));
        await submit(page, 'form[action="/card-stock/hand-out"]');
        assert.match(await page.locator('[role="alert"]').first().innerText(),
          /Diese Karte ist nicht im Bestand \(Status: vorab ausgegeben\)/);
        await checkA11y(page, 'hand-out refused');
        await page.goto(`${ui.base}/card-stock?status=handed_out`);
        assert.match(await page.locator('main table').innerText(), new RegExp(`${spaced(numbers[1])}\\s+1\\.0 Erwachsene\\s+1\\s+vorab ausgegeben`));

        // Re-initialisation: not a card in stock, not while linked to a stay, then after retention.
        await page.fill('#f-card_number', numbers[2]);
        await submit(page, 'form[action="/card-stock/reinitialise"]');
        assert.match(await page.locator('[role="alert"]').first().innerText(), /schon im Bestand/);
        assert.equal(await page.locator('#f-card_number').getAttribute('aria-invalid'), 'true');
        await register(ui.server, [guestWithSticker(sticker(numbers[2], 1))]);
        await page.fill('#f-card_number', spaced(numbers[2]));
        await submit(page, 'form[action="/card-stock/reinitialise"]');
        assert.match(await page.locator('[role="alert"]').first().innerText(), /noch mit ihrem Aufenthalt verknüpft/);
        await checkA11y(page, 're-initialisation refused');
        passwerk(['retention', 'run', '--data', ui.server.dataDir, '--as-of', '2026-04-20'], { env: ui.server.env });
        await page.fill('#f-card_number', numbers[2]);
        await submit(page, 'form[action="/card-stock/reinitialise"]');
        assert.match(await page.locator('main').innerText(),
          new RegExp(`Karte ${spaced(numbers[2])} ist wieder im Bestand mit Umlaufzähler 2\\. Neuer Strichcode für den Aufkleber: ${sticker(numbers[2], 2)}`));
        await checkA11y(page, 'card re-initialised');

        // In English.
        await page.goto(`${ui.base}/card-stock?lang=en`);
        assert.match(await page.locator('h1').innerText(), /Card stock/);
        assert.match(await page.locator('main').innerText(), /Hand out a card before the stay/);
        await checkA11y(page, 'card stock in English');
      });

      for (const who of ['landlord', 'auditor']) {
        await withPage({}, async (page) => {
          await login(page, who);
          assert.equal(await page.locator(`${NAV} a[href="/card-stock"]`).count(), 0, `${who}: no navigation item`);
          const response = await page.goto(`${ui.base}/card-stock`);
          assert.equal(response.status(), 403, `${who} may not see the card stock`);
          await checkA11y(page, `card stock forbidden (${who})`);
        });
      }
    });
  });
}
