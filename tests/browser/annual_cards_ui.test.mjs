// Browser test of the annual-card pages: a clerk issues an annual card (an
// error first, at its field), reads the receipt, and renews the card for the
// next year; a landlord has no such page. Real binary with the demo dataset
// plus a tariff with an annual rate, Debian's Chromium, axe-core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite } from '../lib/browser.mjs';
import { berlinDay, loadAnnualTariff } from '../lib/guest_fixture.mjs';

const ui = browserSuite();
const { withPage, checkA11y, submit, login } = ui;
const NAV = 'nav[aria-label="Hauptnavigation"]';
const year = Number(berlinDay().slice(0, 4));

test('a clerk issues an annual card and renews it for the next year', async () => {
  // The demo's Kellenhusen tariff has no annual rate; Hohenkirchen's has (€32, reduced €16).
  loadAnnualTariff(ui.server);
  await withPage({}, async (page) => {
    await login(page, 'clerk');
    await page.click(`${NAV} a[href="/annual-cards"]`);
    await page.waitForURL('**/annual-cards');
    await checkA11y(page, 'annual cards');

    await page.selectOption('#f-basis', 'second_home');
    await page.fill('#f-family_name', 'Jahresgast');
    await page.fill('#f-given_name', 'Gerda');
    await page.fill('#f-street', 'Lindenallee 9');
    await page.fill('#f-postal_code', '80331');
    await page.fill('#f-city', 'München');
    await submit(page, 'form[action="/annual-cards"]');
    // No birth date: the error sits at that field, the rest is kept.
    assert.equal(await page.locator('#f-birth_date').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('[role="alert"] a[href="#f-birth_date"]').count(), 1);
    assert.equal(await page.inputValue('#f-given_name'), 'Gerda');
    await checkA11y(page, 'annual card with an error');

    await page.fill('#f-birth_date', '1960-02-03');
    await submit(page, 'form[action="/annual-cards"]');
    const receipt = await page.locator('main').innerText();
    assert.match(receipt, /Jahreskarte ausgestellt/);
    assert.match(receipt, /Jahreskurabgabe\s+32,00 €/);
    assert.match(receipt, new RegExp(`bis ${year}-12-31`));
    const receiptNumber = receipt.match(/Quittungsnummer: ([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})/)[1];
    const cardNumber = receipt.match(/Kartennummer\s+([\d ]+)\n/)[1].replace(/\s/g, '');
    await checkA11y(page, 'annual card issued');

    await page.goto(`${ui.base}/annual-cards`);
    await page.fill('#f-renew_card_number', cardNumber);
    await page.fill('#f-renew_receipt_number', 'AAAA-BBBB-CCCC');
    await submit(page, 'form[action="/annual-cards/renew"]');
    assert.equal(await page.locator('#f-renew_receipt_number').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('[role="alert"]').innerText(), /Quittungsnummer gehört nicht zu dieser Karte/);
    await checkA11y(page, 'renewal with an error');
    await page.fill('#f-renew_receipt_number', receiptNumber);
    await page.selectOption('#f-renew_year', String(year + 1));
    await submit(page, 'form[action="/annual-cards/renew"]');
    const renewed = await page.locator('main').innerText();
    assert.match(renewed, new RegExp(`${year + 1}-01-01 bis ${year + 1}-12-31`));
  });
});

test('landlords have no annual-card page', async () => {
  await withPage({}, async (page) => {
    await login(page, 'landlord');
    assert.equal(await page.locator(`${NAV} a[href="/annual-cards"]`).count(), 0);
    const response = await page.goto(`${ui.base}/annual-cards`);
    assert.equal(response.status(), 403);
  });
});
