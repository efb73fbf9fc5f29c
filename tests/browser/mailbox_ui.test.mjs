// Browser test of the mailbox (docs/mailbox.md) on every engine: a citizen
// (test sign-in) writes to the Sozialamt with a PDF and sets up e-mail
// notices, confirmed through the link in the mail a real SMTP peer received;
// the clerk `sozialamt` (password and TOTP) finds the thread under
// "Unbeantwortet", sees the citizen's markup as text, answers with a PNG and
// takes the thread; the notice arrives without the content; the citizen
// reads the answer and downloads its file. axe-core on every page; requests
// may go to the server only (tests/lib/browser.mjs); no script runs from a
// message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { browserSuite } from '../lib/browser.mjs';
import { engines } from '../lib/engines.mjs';
import { startSmtpServer } from '../lib/peers.mjs';
import { confirmationToken, samplePdf, samplePng, waitForMail } from '../lib/mailbox_fixture.mjs';

// One SMTP peer for the file (a plain relay: STARTTLS off).
const peers = { smtp: null };
before(async () => {
  peers.smtp = await startSmtpServer();
});
after(async () => {
  await peers.smtp?.stop();
});

for (const engine of engines()) {
  describe(engine.name, () => {
    const env = { PASSWERK_PORTAL_TEST_LOGIN: 'true', PASSWERK_SMTP_STARTTLS: 'off',
      PASSWERK_MAIL_RETRY_BASE_SECONDS: '1' };
    before(() => { env.PASSWERK_SMTP_URL = peers.smtp.url; });
    const ui = browserSuite({ engine, env });
    const { checkA11y, withPage } = ui;

    const at = (path) => (url) => url.origin === ui.base && url.pathname === path;
    const pathOf = (page) => new URL(page.url()).pathname;

    // Script dialogs would mean a message's markup ran.
    function noDialogs(page) {
      const dialogs = [];
      page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
      return dialogs;
    }

    async function goto(page, path, label = path) {
      const response = await page.goto(`${ui.base}${path}`);
      assert.equal(response.status(), 200, `${path}: ${response.status()}`);
      await checkA11y(page, label);
    }

    // Clicks and waits for the page it leads to; axe on it.
    async function clickTo(page, selector, label) {
      await Promise.all([page.waitForNavigation(), page.locator(selector).first().click()]);
      await checkA11y(page, label);
    }

    async function testSignIn(page, name) {
      await page.goto(`${ui.base}/portal/login?level=low&return_to=${encodeURIComponent('/portal')}`);
      await page.fill('#f-name', name);
      await page.selectOption('#f-level', 'low');
      await Promise.all([page.waitForURL(at('/portal')), page.click('#login-test')]);
    }

    // Clicks a download link; the file's bytes.
    async function download(page, linkText) {
      const [file] = await Promise.all([page.waitForEvent('download'),
        page.locator('.pw-attachments a', { hasText: linkText }).first().click()]);
      return readFileSync(await file.path());
    }

    test('citizen and office write to each other, with files and an e-mail notice', async () => {
      const citizenName = 'Clara Browser';
      const address = `clara.browser.${engine.name}@example.org`;
      const subject = `Frage zum Sozialpass (${engine.name})`;
      const script = '<script>alert("citizen")</script>';
      const question = `Guten Tag, anbei der Bescheid. ${script} <b>Danke</b>`;
      const answer = 'Danke, bitte füllen Sie noch das Formular aus.';
      const pdf = samplePdf('Bescheid');
      const png = samplePng(8, 6);

      await withPage({}, async (citizen) => {
        const citizenDialogs = noDialogs(citizen);
        await testSignIn(citizen, citizenName);

        // Postfach from the portal's navigation; a new message to the Sozialamt with a PDF.
        await clickTo(citizen, 'a[href="/portal/mailbox"]', '/portal/mailbox');
        assert.equal(pathOf(citizen), '/portal/mailbox');
        assert.equal(await citizen.locator('#threads-empty').count(), 1, 'no threads yet');
        await clickTo(citizen, 'a[href="/portal/mailbox/new"]', '/portal/mailbox/new');
        const options = await citizen.locator('#f-department_id option').allInnerTexts();
        assert.ok(options.some((o) => /Sozialamt/.test(o)), options.join(' | '));
        await citizen.selectOption('#f-department_id', '2');
        await citizen.fill('#f-subject', subject);
        await citizen.fill('#f-body', question);
        await citizen.setInputFiles('#f-attachment', [{ name: 'Bescheid.pdf', mimeType: 'application/pdf', buffer: pdf }]);
        await Promise.all([citizen.waitForURL((u) => /^\/portal\/mailbox\/[^/]+$/.test(u.pathname)),
          citizen.click('#send-message')]);
        await checkA11y(citizen, 'the new thread (citizen)');
        const threadPath = pathOf(citizen);
        assert.match(await citizen.locator('h1').innerText(), new RegExp(subject.replace(/[()]/g, '\\$&')));
        assert.match(await citizen.locator('main').innerText(), /Ihre Nachricht ist gesendet/);
        const sent = citizen.locator('.pw-message__body').first();
        assert.equal(await sent.innerText(), question, 'the markup is shown as text');
        assert.equal(await citizen.locator('.pw-message__body script, .pw-message__body b').count(), 0);
        assert.equal(await citizen.locator('.pw-attachments a', { hasText: 'Bescheid.pdf' }).count(), 1);

        // E-mail notices: the address, the link from the mail, the button.
        await goto(citizen, '/portal/mailbox', '/portal/mailbox with a thread');
        await clickTo(citizen, '#email-settings', '/portal/email');
        await citizen.fill('#f-email', address);
        await clickTo(citizen, 'form[action="/portal/email"] button[type="submit"]', '/portal/email, link sent');
        assert.equal(pathOf(citizen), '/portal/email');
        assert.match(await citizen.locator('#email-state').innerText(), /noch nicht bestätigt/);
        const [confirmation] = await waitForMail(peers.smtp, address, 1);
        const token = confirmationToken(confirmation);
        await goto(citizen, `/portal/email/confirm?token=${encodeURIComponent(token)}`, 'the confirmation page');
        assert.equal(await citizen.locator('#email-state').count(), 0);
        await clickTo(citizen, '#confirm-email', 'the address confirmed');
        assert.match(await citizen.locator('h1').innerText(), /Adresse bestätigt/);
        await goto(citizen, '/portal/email', '/portal/email, confirmed');
        assert.match(await citizen.locator('#email-state').innerText(), /bestätigt/);
        assert.doesNotMatch(await citizen.locator('#email-state').innerText(), /noch nicht/);

        // The office.
        await withPage({}, async (staff) => {
          const staffDialogs = noDialogs(staff);
          await ui.login(staff, 'sozialamt');
          await clickTo(staff, 'nav[aria-label="Hauptnavigation"] a[href="/mailbox"]', '/mailbox');
          await clickTo(staff, 'a[href="/mailbox?filter=unanswered"]', '/mailbox?filter=unanswered');
          assert.equal(await staff.locator('a[href="/mailbox?filter=unanswered"]').getAttribute('aria-current'), 'page');
          const row = staff.locator('tr', { has: staff.locator('a', { hasText: subject }) });
          assert.equal(await row.count(), 1, 'the new thread is listed under "Unbeantwortet"');
          assert.match(await row.innerText(), /wartet auf Antwort/);
          await clickTo(staff, `a:has-text("${subject}")`, 'the thread (staff)');
          assert.equal(pathOf(staff), threadPath.replace('/portal/mailbox/', '/mailbox/'));
          assert.equal(await staff.locator('.pw-message__body').first().innerText(), question);
          assert.equal(await staff.locator('.pw-message__body script').count(), 0);
          assert.ok((await download(staff, 'Bescheid.pdf')).equals(pdf), 'the PDF, byte for byte');

          // Answer with a PNG.
          await staff.fill('#f-body', answer);
          await staff.setInputFiles('#f-attachment', [{ name: 'Formular.png', mimeType: 'image/png', buffer: png }]);
          await clickTo(staff, 'form[action$="/reply"] button[type="submit"]', 'the thread after answering');
          assert.equal(new URL(staff.url()).searchParams.get('done'), 'sent');
          assert.match(await staff.locator('main').innerText(), /Die Nachricht ist gesendet/);
          assert.equal(await staff.locator('.pw-message__body').last().innerText(), answer);

          // Take the thread.
          await staff.selectOption('#f-user_id', { label: 'Sofia Sozial' });
          await clickTo(staff, 'form[action$="/assign"] button[type="submit"]', 'the thread after assigning');
          assert.equal(new URL(staff.url()).searchParams.get('done'), 'assigned');
          assert.match(await staff.locator('#thread-data').innerText(), /Sofia Sozial/);
          await goto(staff, '/mailbox?filter=mine', '/mailbox?filter=mine');
          assert.equal(await staff.locator('tr', { has: staff.locator('a', { hasText: subject }) }).count(), 1);
          await goto(staff, '/mailbox?filter=unanswered', '/mailbox?filter=unanswered, answered');
          assert.equal(await staff.locator('a', { hasText: subject }).count(), 0, 'answered: not listed any more');
          assert.deepEqual(staffDialogs, []);
        });

        // The notice: a link to the mailbox, nothing of the content.
        const [, notice] = await waitForMail(peers.smtp, address, 2);
        assert.match(notice.text, /\/portal\/mailbox/);
        for (const secret of [subject, answer, 'Formular.png', 'Sofia']) {
          assert.ok(!notice.raw.includes(secret) && !notice.text.includes(secret), `the notice names ${secret}`);
        }

        // The citizen reads the answer and takes its file.
        await goto(citizen, '/portal/mailbox', '/portal/mailbox with an answer');
        const mine = citizen.locator('tr', { has: citizen.locator('a', { hasText: subject }) });
        assert.match(await mine.innerText(), /1 neu/);
        await clickTo(citizen, `a:has-text("${subject}")`, 'the thread with the answer (citizen)');
        const last = citizen.locator('.pw-message').last();
        assert.equal(await last.locator('.pw-message__body').innerText(), answer);
        assert.match(await last.locator('.pw-message__from').innerText(), /Sozialamt/, 'the department writes');
        assert.doesNotMatch(await last.innerText(), /Sofia/, 'not the clerk');
        assert.ok((await download(citizen, 'Formular.png')).equals(png), 'the PNG, byte for byte');
        await goto(citizen, '/portal/mailbox', '/portal/mailbox, read');
        assert.doesNotMatch(await mine.innerText(), /neu/, 'read now');
        assert.deepEqual(citizenDialogs, []);
      });
    });
  });
}
