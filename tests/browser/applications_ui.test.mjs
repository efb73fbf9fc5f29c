// Browser test of online applications (issue 21) on every engine: a citizen
// (test sign-in) applies for the social pass step by step (an error summary
// linked to its field, household members, a PDF notice, the summary, the
// receipt), the clerk `sozialamt` (password and TOTP) approves it from the
// queue and the card shows in the portal; a volunteer card goes to the
// organisation by e-mail (a real SMTP peer), is confirmed through the link in
// the mail, approved by `ehrenamt`, refused to the same clerk a second time
// and confirmed by `admin` (four eyes); a citizen whose social pass runs out
// within the reminder window renews it from the banner and the same card runs
// longer; the organisation page of the demo's link. axe-core on every page
// (the social office's statistics too); requests may go to the server only
// (tests/lib/browser.mjs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite } from '../lib/browser.mjs';
import { engines } from '../lib/engines.mjs';
import { startSmtpServer } from '../lib/peers.mjs';
import { createToken } from '../lib/guest_fixture.mjs';
import { samplePdf, show, signInCitizen, staffApi, waitForMail } from '../lib/mailbox_fixture.mjs';
import {
  documentForm, isoDaysAhead, organisationToken, SOCIAL_PASS, socialPassAnswers,
} from '../lib/applications_fixture.mjs';

// One SMTP peer for the file (a plain relay: STARTTLS off).
const peers = { smtp: null };
before(async () => {
  peers.smtp = await startSmtpServer();
});
after(async () => {
  await peers.smtp?.stop();
});

// "2027-06-25" as the German pages show it: "25.06.2027".
const germanDate = (iso) => iso.split('-').reverse().join('.');
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const engine of engines()) {
  describe(engine.name, () => {
    const env = { PASSWERK_PORTAL_TEST_LOGIN: 'true', PASSWERK_SMTP_STARTTLS: 'off',
      PASSWERK_MAIL_RETRY_BASE_SECONDS: '1' };
    before(() => { env.PASSWERK_SMTP_URL = peers.smtp.url; });
    const ui = browserSuite({ engine, env });
    const { checkA11y, withPage } = ui;
    const at = (path) => (url) => url.origin === ui.base && url.pathname === path;
    const pathOf = (page) => new URL(page.url()).pathname;
    const STEP = /^\/portal\/applications\/[^/]+\/steps\/(\d+)$/;
    const stepOf = (page) => Number((pathOf(page).match(STEP) ?? [])[1] ?? 0);

    async function goto(page, path, label = path) {
      const response = await page.goto(`${ui.base}${path}`);
      assert.equal(response.status(), 200, `${path}: ${response.status()}`);
      await checkA11y(page, label);
    }

    // Clicks and waits for the page it leads to (after redirects), checks
    // its status; axe on it.
    async function clickTo(page, selector, label, status = 200) {
      const [response] = await Promise.all([page.waitForNavigation(), page.locator(selector).first().click()]);
      assert.equal(response.status(), status, `${label}: ${response.status()} at ${page.url()}`);
      await checkA11y(page, label);
      return response;
    }

    async function testSignIn(page, name, level) {
      await page.goto(`${ui.base}/portal/login?level=${level}&return_to=${encodeURIComponent('/portal')}`);
      await page.fill('#f-name', name);
      await page.selectOption('#f-level', level);
      await Promise.all([page.waitForURL(at('/portal')), page.click('#login-test')]);
    }

    // From /portal/apply through the offer of `kind` to step 1 of a new draft.
    async function begin(page, kind, title) {
      await goto(page, '/portal/apply', '/portal/apply');
      const offer = page.locator(`#offers a[href^="/portal/apply/${kind}"]`);
      assert.equal(await offer.count(), 1, `an offer of the kind ${kind}`);
      assert.match(await offer.innerText(), title);
      await clickTo(page, `#offers a[href^="/portal/apply/${kind}"]`, `/portal/apply/${kind}`);
      assert.match(await page.locator('h1').innerText(), title);
      await clickTo(page, '#begin-application', 'step 1');
      assert.equal(stepOf(page), 1, page.url());
      assert.match(await page.locator('#progress-label').innerText(), /^Schritt 1 von 4: /);
    }

    // "Weiter" (or "Zur Übersicht" on the last step) on a step without problems.
    async function next(page, label) {
      await clickTo(page, '#step-next', label);
    }

    // Step 1: the person; the test sign-in knows no address or birth date.
    async function fillPerson(page, { given, family, birth, street = 'Strandweg 1' }) {
      await page.fill('#field-given_name', given);
      await page.fill('#field-family_name', family);
      await page.fill('#field-birth_date', birth);
      await page.fill('#field-street', street);
      await page.fill('#field-postal_code', '23746');
      await page.fill('#field-city', 'Kellenhusen');
    }

    // The PDF upload of the document field `field` on the current step.
    async function upload(page, field, name, pdf) {
      await page.setInputFiles(`#field-${field}`, [{ name, mimeType: 'application/pdf', buffer: pdf }]);
      await clickTo(page, `button[form="upload-${field}"]`, `the step after uploading ${name}`);
      assert.equal(new URL(page.url()).searchParams.get('done'), 'uploaded');
      assert.match(await page.locator(`#field-${field}-documents`).innerText(), new RegExp(escapeRegExp(name)));
    }

    // The submit button of the summary; the status page with its reference.
    async function submit(page, prefix) {
      await clickTo(page, '#submit-application', 'the status page after submitting');
      assert.equal(new URL(page.url()).searchParams.get('submitted'), '1');
      assert.match(await page.locator('main').innerText(), /Ihr Antrag ist eingegangen/);
      const reference = (await page.locator('h1').innerText()).match(new RegExp(`${prefix}-[A-Z0-9-]+`))?.[0];
      assert.ok(reference, `a reference ${prefix}-… in the heading: ${await page.locator('h1').innerText()}`);
      assert.match(await page.locator('#application').innerText(), new RegExp(escapeRegExp(reference)));
      return { reference, path: pathOf(page) };
    }

    const stateOf = async (page, selector) => page.locator(selector).innerText();

    // Staff: the queue from the main navigation, the application by its
    // reference, its detail page.
    async function openFromQueue(staff, reference) {
      await clickTo(staff, 'nav[aria-label="Hauptnavigation"] a[href="/applications"]', 'the queue');
      assert.equal(pathOf(staff), '/applications');
      const row = staff.locator('tr', { has: staff.locator('a', { hasText: reference }) });
      assert.equal(await row.count(), 1, `${reference} is in the queue`);
      await clickTo(staff, `main a:has-text("${reference}")`, `the application ${reference} (staff)`);
      assert.match(await staff.locator('h1').innerText(), new RegExp(escapeRegExp(reference)));
    }

    // The decision form: approve; `status` of the answer.
    async function approve(staff, label, status = 200) {
      await staff.check('#f-decision-approve');
      return clickTo(staff, 'form[action$="/decision"] button[type="submit"]', label, status);
    }

    test('the organisation page shows what to confirm, with confirm and decline', async () => {
      await withPage({}, async (page) => {
        const token = organisationToken(ui.server.demo);
        await goto(page, `/portal/organisation/confirm?token=${encodeURIComponent(token)}`, 'the organisation page');
        assert.match(await page.locator('#confirm-answers').innerText(), /Mustermann/);
        assert.equal(await page.locator('form[action="/portal/organisation/confirm"]').count(), 2, 'confirm and decline');
        assert.equal(await page.locator('#f-reason').count(), 1, 'a reason to decline');
      });
    });

    test('a social pass from the first step to the card, approved by the social office', async () => {
      const notice = isoDaysAhead(200);
      const pdf = samplePdf('Wohngeldbescheid');
      await withPage({}, async (citizen) => {
        await testSignIn(citizen, 'Clara Antrag', 'substantial');
        await begin(citizen, 'social-pass', /Sozialpass/);

        // The names come from the sign-in.
        assert.equal(await citizen.inputValue('#field-given_name'), 'Clara');
        assert.equal(await citizen.inputValue('#field-family_name'), 'Antrag');
        // Step 1 with the street left empty: the error summary links to the field.
        await fillPerson(citizen, { given: 'Clara', family: 'Antrag', birth: '1980-02-03', street: '' });
        await clickTo(citizen, '#step-next', 'step 1 with an error summary', 400);
        assert.equal(stepOf(citizen), 1);
        const summary = citizen.locator('.kern-alert--danger');
        assert.equal(await summary.count(), 1, 'one error summary');
        assert.equal(await summary.getAttribute('role'), 'alert');
        assert.match(await summary.innerText(), /Straße und Hausnummer/);
        const links = summary.locator('a');
        assert.equal(await links.count(), 1, await summary.innerText());
        assert.equal(await links.first().getAttribute('href'), '#field-street');
        assert.equal(await citizen.locator('#field-street').getAttribute('aria-invalid'), 'true');
        assert.match(await citizen.locator('#field-street').getAttribute('aria-describedby'), /field-street-error/);
        assert.match(await citizen.locator('#field-street-error').innerText(), /Straße und Hausnummer/);
        assert.match(await citizen.title(), /Fehler|Error/i);
        // What was typed is still there.
        assert.equal(await citizen.inputValue('#field-given_name'), 'Clara');
        assert.equal(await citizen.inputValue('#field-birth_date'), '1980-02-03');
        assert.equal(await citizen.inputValue('#field-postal_code'), '23746');
        // The link leads to the field.
        await links.first().click();
        assert.equal(new URL(citizen.url()).hash, '#field-street');
        await citizen.fill('#field-street', 'Strandweg 1');
        await next(citizen, 'step 2');
        assert.equal(stepOf(citizen), 2);

        // Step 2: the benefit, who issued the notice, until when.
        await citizen.check('input[name="benefit"][value="wohngeld"]');
        await citizen.fill('#field-notice_authority', 'Kreis Ostholstein');
        await citizen.fill('#field-notice_valid_until', notice);
        await next(citizen, 'step 3');
        assert.equal(stepOf(citizen), 3);

        // Step 3: a household member; what was typed survives adding another row.
        await clickTo(citizen, '#add-person', 'step 3 with one person');
        assert.equal(stepOf(citizen), 3);
        await citizen.fill('#field-household_members-0-given_name', 'Max');
        await citizen.fill('#field-household_members-0-family_name', 'Antrag');
        await citizen.fill('#field-household_members-0-birth_date', '2015-05-06');
        await clickTo(citizen, '#add-person', 'step 3 with two persons');
        assert.equal(await citizen.inputValue('#field-household_members-0-given_name'), 'Max');
        assert.equal(await citizen.inputValue('#field-household_members-0-family_name'), 'Antrag');
        assert.equal(await citizen.inputValue('#field-household_members-0-birth_date'), '2015-05-06');
        assert.equal(await citizen.inputValue('#field-household_members-1-given_name'), '');
        // The empty second row goes when the step is left.
        await next(citizen, 'step 4');
        assert.equal(stepOf(citizen), 4);

        // Step 4: the notice as a PDF.
        await upload(citizen, 'notice', 'Bescheid.pdf', pdf);
        await next(citizen, 'the summary');
        assert.match(pathOf(citizen), /\/summary$/);
        const answers = await citizen.locator('main').innerText();
        for (const shown of ['Clara', 'Antrag', '03.02.1980', 'Strandweg 1', '23746', 'Kellenhusen', 'Wohngeld',
          'Kreis Ostholstein', germanDate(notice), 'Max Antrag', '06.05.2015', 'Bescheid.pdf']) {
          assert.ok(answers.includes(shown), `the summary shows ${shown}:\n${answers}`);
        }
        assert.doesNotMatch(answers, /wohngeld|notice_valid_until/, 'no internal values');

        // Submitted: the status page with its reference; the receipt is a PDF.
        const { reference, path } = await submit(citizen, 'SP');
        assert.match(await stateOf(citizen, '#application'), /Eingereicht/);
        const receiptHref = await citizen.locator('#receipt').getAttribute('href');
        const receipt = await citizen.request.get(`${ui.base}${receiptHref}`);
        assert.equal(receipt.status(), 200);
        assert.match(receipt.headers()['content-type'], /^application\/pdf/);
        assert.equal((await receipt.body()).subarray(0, 5).toString('latin1'), '%PDF-');
        await goto(citizen, '/portal/applications', '/portal/applications');
        assert.equal(await citizen.locator('#applications-caption').count(), 1);
        assert.equal(await citizen.locator('tr', { has: citizen.locator('a', { hasText: reference }) }).count(), 1);

        // The social office: the queue, the detail (now in review), approval.
        await withPage({}, async (staff) => {
          await ui.login(staff, 'sozialamt');
          await openFromQueue(staff, reference);
          assert.match(await stateOf(staff, '#application-data'), /In Prüfung/);
          assert.match(await staff.locator('main').innerText(), /Kreis Ostholstein/);
          await approve(staff, 'the application approved (staff)');
          assert.equal(new URL(staff.url()).searchParams.get('done'), 'approved');
          assert.match(await stateOf(staff, '#application-data'), /Bewilligt/);
          assert.equal(await staff.locator('form[action$="/decision"]').count(), 0, 'decided: no decision form');
          await goto(staff, '/statistics/applications', 'the application statistics');
        });

        // The citizen: approved, with the cards (the applicant and Max).
        await goto(citizen, path, 'the status page, approved');
        assert.match(await stateOf(citizen, '#application'), /Bewilligt/);
        const numbers = (await citizen.locator('#card-numbers li').allInnerTexts())
          .map((t) => t.replace(/^Kartennummer\s*/, '').trim());
        assert.equal(numbers.length, 2, numbers.join(' | '));
        await clickTo(citizen, '#to-cards', '/portal/cards');
        const cards = await citizen.locator('#my-cards').innerText();
        for (const number of numbers) assert.ok(cards.includes(number), `${number} under my cards:\n${cards}`);
      });
    });

    test('a volunteer card: the organisation confirms by mail, two clerks approve', async () => {
      const orgMail = `vorstand.${engine.name}@verein.example.org`;
      await withPage({}, async (citizen) => {
        await testSignIn(citizen, 'Vera Ehrenamt', 'low');
        await begin(citizen, 'volunteer-card', /Ehrenamtskarte/);
        await fillPerson(citizen, { given: 'Vera', family: 'Ehrenamt', birth: '1975-09-10' });
        await next(citizen, 'step 2 (engagement)');
        assert.equal(stepOf(citizen), 2);

        // The questions about the volunteering show once the basis is chosen.
        assert.ok(await citizen.locator('#wrap-activity').isHidden(), 'no basis yet: no activity asked');
        await citizen.check('input[name="basis"][value="volunteering"]');
        assert.ok(await citizen.locator('#wrap-activity').isVisible());
        await citizen.fill('#field-activity', 'Trainerin der Jugendmannschaft');
        await citizen.fill('#field-since', '2018-04-01');
        await citizen.fill('#field-hours_per_week', '6');
        await citizen.check('#field-unpaid');
        await checkA11y(citizen, 'step 2 with the volunteering questions');
        await next(citizen, 'step 3 (organisation)');
        assert.equal(stepOf(citizen), 3);
        await citizen.fill('#field-organisation_name', 'SV Kellenhusen e. V.');
        await citizen.fill('#field-organisation_contact', 'Otto Vorstand');
        await citizen.fill('#field-organisation_email', orgMail);
        await next(citizen, 'step 4 (documents)');
        assert.equal(stepOf(citizen), 4);
        await next(citizen, 'the summary');
        assert.match(pathOf(citizen), /\/summary$/);
        assert.match(await citizen.locator('main').innerText(), /Otto Vorstand/);
        const { reference, path } = await submit(citizen, 'EA');
        assert.match(await stateOf(citizen, '#application'), /Wartet auf Bestätigung der Organisation/);
        assert.match(await citizen.locator('section[aria-labelledby="next"]').innerText(), /Organisation/);

        // The organisation: the link from the mail, confirmed.
        const [mail] = await waitForMail(peers.smtp, orgMail, 1);
        const link = mail.text.match(/https?:\/\/[^\s/]+(\/portal\/organisation\/confirm\?token=[A-Za-z0-9_~.%-]+)/);
        assert.ok(link, `no confirmation link in the mail:\n${mail.text}`);
        await withPage({}, async (organisation) => {
          await goto(organisation, link[1], 'the organisation page from the mail');
          const shown = await organisation.locator('#confirm-answers').innerText();
          assert.match(shown, /Vera/);
          assert.match(shown, /Trainerin der Jugendmannschaft/);
          assert.doesNotMatch(shown, /Strandweg|1975/, 'only what is to be confirmed');
          await clickTo(organisation, '#org-confirm-button', 'the thank-you page');
          assert.match(await organisation.locator('h1').innerText(), /Vielen Dank/);
          assert.match(await organisation.locator('main').innerText(), /Engagement bestätigt/);
          // The link is used.
          const again = await organisation.goto(`${ui.base}${link[1]}`);
          assert.equal(again.status(), 404);
        });
        await goto(citizen, path, 'the status page, confirmed');
        assert.doesNotMatch(await stateOf(citizen, '#application'), /Wartet auf Bestätigung/);
        assert.match(await citizen.locator('section[aria-labelledby="confirmation"]').innerText(), /bestätigt/);

        // The volunteer office approves; the same clerk cannot approve again.
        await withPage({}, async (staff) => {
          await ui.login(staff, 'ehrenamt');
          await openFromQueue(staff, reference);
          assert.match(await stateOf(staff, '#application-data'), /In Prüfung/);
          await approve(staff, 'the first approval (staff)');
          assert.equal(new URL(staff.url()).searchParams.get('done'), 'second_approval');
          assert.match(await stateOf(staff, '#application-data'), /Wartet auf Zweitfreigabe/);
          await approve(staff, 'the same clerk approving again', 409);
          const refused = staff.locator('.kern-alert--danger');
          assert.match(await refused.innerText(), /Sie haben die erste Freigabe erteilt/);
          assert.match(await stateOf(staff, '#application-data'), /Wartet auf Zweitfreigabe/);
        });
        await goto(citizen, path, 'the status page, pending the second approval');
        assert.match(await stateOf(citizen, '#application'), /Wartet auf Zweitfreigabe/);

        // A second clerk confirms.
        await withPage({}, async (staff) => {
          await ui.login(staff, 'admin');
          await openFromQueue(staff, reference);
          assert.match(await stateOf(staff, '#application-data'), /Wartet auf Zweitfreigabe/);
          assert.match(await staff.locator('section[aria-labelledby="decision"]').innerText(), /Emil Ehrenamt/);
          await approve(staff, 'the second approval (staff)');
          assert.equal(new URL(staff.url()).searchParams.get('done'), 'approved');
          assert.match(await stateOf(staff, '#application-data'), /Bewilligt/);
        });
        await goto(citizen, path, 'the status page, approved');
        assert.match(await stateOf(citizen, '#application'), /Bewilligt/);
        const numbers = (await citizen.locator('#card-numbers li').allInnerTexts())
          .map((t) => t.replace(/^Kartennummer\s*/, '').trim());
        assert.equal(numbers.length, 1, numbers.join(' | '));
        await goto(citizen, '/portal/cards', '/portal/cards with the volunteer card');
        assert.ok((await citizen.locator('#my-cards').innerText()).includes(numbers[0]));
      });
    });

    // A social pass whose card runs out within the form's reminder window
    // (30 days), whatever the date: applied for and approved through the
    // APIs, with a notice ending in 20 days. The demo's own social pass runs
    // to 31.12., which is in the window only in December.
    async function expiringSocialPass(name) {
      const citizen = await signInCitizen(ui.server, name, 'substantial');
      const created = await citizen.call('POST', '/api/portal/v1/applications', { scheme: SOCIAL_PASS });
      assert.equal(created.status, 201, show(created));
      const path = `/api/portal/v1/applications/${created.json.id}`;
      const answers = { ...socialPassAnswers(), notice_valid_until: isoDaysAhead(20) };
      const put = await citizen.call('PUT', path, { answers });
      assert.equal(put.status, 200, show(put));
      const doc = await citizen.call('POST', `${path}/documents`,
        documentForm('notice', { name: 'bescheid.pdf', data: samplePdf('Bescheid'), type: 'application/pdf' }));
      assert.equal(doc.status, 201, show(doc));
      const submitted = await citizen.call('POST', `${path}/submit`);
      assert.equal(submitted.status, 200, show(submitted));
      const token = createToken(ui.server, 'sozialamt', 'applications:read,applications:decide', 'renewal');
      const clerk = staffApi(ui.server, token);
      assert.equal((await clerk.call('GET', `/api/v1/applications/${created.json.id}`)).status, 200);
      const approved = await clerk.call('POST', `/api/v1/applications/${created.json.id}/decision`,
        { decision: 'approve' });
      assert.equal(approved.status, 200, show(approved));
      assert.equal(approved.json.cards.length, 1, show(approved));
      return approved.json.cards[0];
    }

    test('a card running out: the renewal from the banner keeps the card and extends it', async () => {
      const name = 'Rita Verlängerung';
      const number = await expiringSocialPass(name);
      const shownNumber = number.replace(/(\d{4})(?=\d)/g, '$1 ');
      const notice = isoDaysAhead(200);
      await withPage({}, async (citizen) => {
        await testSignIn(citizen, name, 'substantial');
        await goto(citizen, '/portal/applications', '/portal/applications with the renewal banner');
        const banner = citizen.locator('.kern-alert--warning', { hasText: shownNumber });
        assert.equal(await banner.count(), 1, 'a renewal banner for the card');
        const oldEnd = (await banner.innerText()).match(/läuft am (\d\d)\.(\d\d)\.(\d{4}) ab/);
        assert.ok(oldEnd, await banner.innerText());
        const oldUntil = `${oldEnd[3]}-${oldEnd[2]}-${oldEnd[1]}`;
        const cardTile = citizen.locator('#my-cards li', { hasText: shownNumber });
        await goto(citizen, '/portal/cards', '/portal/cards before the renewal');
        assert.match(await cardTile.innerText(), new RegExp(`bis ${escapeRegExp(germanDate(oldUntil))}`));
        assert.equal(await citizen.locator('.kern-alert--warning', { hasText: shownNumber }).count(), 1,
          'the banner under my cards too');

        // The renewal: the kept answers are shown, not asked.
        await goto(citizen, '/portal/applications', '/portal/applications');
        await clickTo(citizen, `.kern-alert--warning:has-text("${shownNumber}") form button[type="submit"]`,
          'step 1 of the renewal');
        assert.equal(stepOf(citizen), 1, citizen.url());
        assert.match(await citizen.locator('#form-title').innerText(), /Verlängerung/);
        const kept = await citizen.locator('#kept-answers').innerText();
        for (const shown of ['Rita', 'Verlängerung', '03.02.1980']) assert.ok(kept.includes(shown), kept);
        for (const id of ['given_name', 'family_name', 'birth_date']) {
          assert.equal(await citizen.locator(`#field-${id}`).count(), 0, `${id} is not asked again`);
        }
        assert.equal(await citizen.inputValue('#field-street'), 'Strandweg 1', 'the address is prefilled');
        await next(citizen, 'step 2 of the renewal');
        assert.equal(stepOf(citizen), 2);
        assert.equal(await citizen.inputValue('#field-notice_authority'), 'Kreis Ostholstein', 'prefilled');
        await citizen.fill('#field-notice_valid_until', notice);
        await next(citizen, 'step 3 of the renewal');
        assert.equal(stepOf(citizen), 3);
        await next(citizen, 'step 4 of the renewal');
        assert.equal(stepOf(citizen), 4);
        await upload(citizen, 'notice', 'Wohngeldbescheid-neu.pdf', samplePdf('Neuer Bescheid'));
        await next(citizen, 'the summary of the renewal');
        assert.match(pathOf(citizen), /\/summary$/);
        assert.ok((await citizen.locator('main').innerText()).includes(germanDate(notice)));
        const { reference, path } = await submit(citizen, 'SP');
        assert.match(await stateOf(citizen, '#application'), /Verlängerung/);

        await withPage({}, async (staff) => {
          await ui.login(staff, 'sozialamt');
          await openFromQueue(staff, reference);
          assert.match(await stateOf(staff, '#application-data'), /Verlängerung/);
          assert.match(await stateOf(staff, '#application-data'), /In Prüfung/);
          await approve(staff, 'the renewal approved (staff)');
          assert.match(await stateOf(staff, '#application-data'), /Bewilligt/);
        });

        // The same card, valid from the day after it ran out to the end of
        // that calendar year (of the next one, when less than a month of this
        // year would be left), or the new notice's end if earlier.
        const nextDay = new Date(Date.parse(`${oldUntil}T00:00:00Z`) + 86400e3).toISOString().slice(0, 10);
        const berlinToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date());
        const start = nextDay > berlinToday ? nextDay : berlinToday;
        let yearEnd = `${start.slice(0, 4)}-12-31`;
        if ((Date.parse(`${yearEnd}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86400e3 < 31) {
          yearEnd = `${Number(start.slice(0, 4)) + 1}-12-31`;
        }
        const newUntil = notice < yearEnd ? notice : yearEnd;
        assert.ok(newUntil > oldUntil);
        await goto(citizen, path, 'the renewal approved');
        assert.match(await stateOf(citizen, '#application'), /Bewilligt/);
        assert.equal(await citizen.locator('#card-numbers li').count(), 1);
        assert.ok((await citizen.locator('#card-numbers').innerText()).includes(shownNumber), 'the same card');
        await goto(citizen, '/portal/cards', '/portal/cards after the renewal');
        assert.equal(await citizen.locator('#my-cards li').count(), 1, 'no second card');
        const tile = await cardTile.innerText();
        assert.ok(tile.includes(`bis ${germanDate(newUntil)}`), `valid until ${germanDate(newUntil)}:\n${tile}`);
        // The banner goes unless the new end is itself within the 30 days.
        await goto(citizen, '/portal/applications', '/portal/applications after the renewal');
        const windowEnd = new Date(Date.parse(`${berlinToday}T00:00:00Z`) + 30 * 86400e3).toISOString().slice(0, 10);
        const after = citizen.locator('.kern-alert--warning', { hasText: shownNumber });
        if (newUntil <= windowEnd) {
          assert.match(await after.innerText(), new RegExp(`läuft am ${escapeRegExp(germanDate(newUntil))} ab`));
        } else {
          assert.equal(await after.count(), 0, 'no renewal banner any more');
        }
      });
    });
  });
}
