// Online applications (issue 21) against the real binary on both engines: the
// demo citizen (test sign-in) applies for a social pass through the JSON API
// (answers checked by type, documents by content, a submission listing every
// missing field, Idempotency-Key on submit); the Sozialamt's clerk reads it,
// asks for information, approves it; the card reaches the citizen's portal;
// deciding twice and withdrawing a decided application are refused; the
// Ehrenamtsbüro sees none of it; the organisation confirms through its link;
// the statistics suppress small counts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { demoTemplate, startServer } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';
import { createToken } from '../lib/guest_fixture.mjs';
import { samplePdf, show, signInCitizen, staffApi } from '../lib/mailbox_fixture.mjs';
import {
  DEMO_CITIZEN, demoApplication, documentForm, organisationToken, SOCIAL_PASS, socialPassAnswers, VOLUNTEER_CARD,
} from '../lib/applications_fixture.mjs';

const ENV = { PASSWERK_PORTAL_TEST_LOGIN: 'true' };

for (const engine of engines()) {
  describe(engine.name, () => {
    let template = null;
    let templateDb = null;
    const started = [];

    before(() => {
      templateDb = engine.setup();
      template = demoTemplate({ pgUrl: templateDb.pgUrl });
    });
    after(async () => {
      const results = [];
      for (const { server, db } of started.splice(0)) {
        results.push([server, await server.stop()]);
        db.cleanup();
      }
      template?.remove();
      templateDb?.cleanup();
      for (const [server, result] of results) {
        if (result.code !== null && result.code !== undefined) assert.equal(result.code, 0, `server exit: ${server.stderr()}`);
      }
    });

    // A fresh server on a copy of the demo data.
    async function boot() {
      const db = engine.setup({ template: templateDb.database });
      const server = await startServer({ pgUrl: db.pgUrl, template, env: ENV });
      started.push({ server, db });
      return server;
    }

    test('a social pass from draft to card; the clerk asks, approves; refusals; departments', async () => {
      const server = await boot();
      const citizen = await signInCitizen(server, DEMO_CITIZEN, 'substantial');

      const forms = await citizen.call('GET', '/api/portal/v1/application-forms');
      assert.equal(forms.status, 200, show(forms));
      assert.deepEqual(forms.json.items.map((f) => f.scheme).sort(), [VOLUNTEER_CARD, SOCIAL_PASS]);
      const social = forms.json.items.find((f) => f.scheme === SOCIAL_PASS);
      assert.deepEqual(social.department, { id: 2, name: 'Sozialamt' });

      // A low sign-in is not enough for the social pass.
      const low = await signInCitizen(server, 'Lena Niedrig', 'low');
      const tooLow = await low.call('POST', '/api/portal/v1/applications', { scheme: SOCIAL_PASS });
      assert.equal(tooLow.status, 403, show(tooLow));

      const created = await citizen.call('POST', '/api/portal/v1/applications', { scheme: SOCIAL_PASS });
      assert.equal(created.status, 201, show(created));
      const app = created.json;
      assert.equal(app.status, 'draft');
      assert.equal(app.reference, null);
      assert.equal(app.answers.given_name, 'Erika', 'prefilled from the sign-in');
      assert.equal(app.answers.family_name, 'Mustermann');
      const path = `/api/portal/v1/applications/${app.id}`;

      // Answers: a wrong type is refused naming the field.
      const wrong = await citizen.call('PUT', path, { answers: { birth_date: 12 } });
      assert.equal(wrong.status, 400, show(wrong));
      assert.equal(wrong.json.error.field, 'birth_date');
      const partial = await citizen.call('PUT', path, { answers: { birth_date: '1980-02-03', street: 'Strandweg 1' } });
      assert.equal(partial.status, 200, show(partial));

      // Documents: a PDF is taken, something else refused.
      const pdf = samplePdf('Wohngeldbescheid');
      const upload = await citizen.call('POST', `${path}/documents`,
        documentForm('notice', { name: 'bescheid.pdf', data: pdf, type: 'application/pdf' }));
      assert.equal(upload.status, 201, show(upload));
      assert.equal(upload.json.field, 'notice');
      assert.equal(upload.json.type, 'application/pdf');
      assert.equal(upload.json.size, pdf.length);
      const notPdf = await citizen.call('POST', `${path}/documents`,
        documentForm('further_evidence', { name: 'x.pdf', data: Buffer.from('<html>not a pdf</html>'), type: 'application/pdf' }));
      assert.equal(notPdf.status, 400, show(notPdf));
      assert.equal((await citizen.call('GET', path)).json.documents.length, 1, 'the refused file is not stored');

      // Submitting an incomplete application lists every missing field.
      const incomplete = await citizen.call('POST', `${path}/submit`);
      assert.equal(incomplete.status, 400, show(incomplete));
      const missing = incomplete.json.error.fields.map((f) => f.field).sort();
      assert.deepEqual(missing, ['benefit', 'city', 'notice_authority', 'notice_valid_until', 'postal_code'].sort());

      // Complete; submitted twice with one Idempotency-Key: one application.
      const complete = await citizen.call('PUT', path, { answers: socialPassAnswers() });
      assert.equal(complete.status, 200, show(complete));
      const key = `submit-${randomBytes(6).toString('hex')}`;
      const first = await citizen.call('POST', `${path}/submit`, undefined, { headers: { 'idempotency-key': key } });
      assert.equal(first.status, 200, show(first));
      const again = await citizen.call('POST', `${path}/submit`, undefined, { headers: { 'idempotency-key': key } });
      assert.equal(again.status, first.status, show(again));
      assert.equal(again.headers.get('idempotency-replayed'), 'true');
      assert.deepEqual(again.json, first.json);
      const submitted = await citizen.call('GET', path);
      assert.equal(submitted.json.status, 'submitted');
      assert.match(submitted.json.reference ?? '', /^SP-\d{4}-\d+$/);
      const mine = (await citizen.call('GET', '/api/portal/v1/applications')).json.items;
      assert.equal(mine.filter((a) => a.id === app.id).length, 1, 'one application');
      assert.equal(mine.filter((a) => a.reference === submitted.json.reference).length, 1);

      // The Sozialamt's clerk.
      const clerk = staffApi(server, createToken(server, 'sozialamt', 'applications:read,applications:decide', 'apps'));
      const queue = await clerk.call('GET', `/api/v1/applications?status=submitted&scheme=${SOCIAL_PASS}`);
      assert.equal(queue.status, 200, show(queue));
      assert.ok(queue.json.items.some((a) => a.id === app.id), show(queue));
      assert.ok(queue.json.items.every((a) => a.department_id === 2 && a.status === 'submitted'));
      const read = await clerk.call('GET', `/api/v1/applications/${app.id}`);
      assert.equal(read.status, 200, show(read));
      assert.equal(read.json.status, 'in_review', 'reading it starts the review');
      assert.equal(read.json.answers.notice_authority, 'Kreis Ostholstein');

      const ask = await clerk.call('POST', `/api/v1/applications/${app.id}/decision`,
        { decision: 'request_information', reason: 'Bitte reichen Sie Seite 2 des Bescheids nach.' });
      assert.equal(ask.status, 200, show(ask));
      assert.equal((await citizen.call('GET', path)).json.status, 'needs_information');
      const resubmit = await citizen.call('POST', `${path}/submit`);
      assert.equal(resubmit.status, 200, show(resubmit));

      const approve = await clerk.call('POST', `/api/v1/applications/${app.id}/decision`, { decision: 'approve' });
      assert.equal(approve.status, 200, show(approve));
      assert.equal(approve.json.status, 'approved');
      assert.ok(approve.json.cards.length > 0, show(approve));
      const [card] = approve.json.cards;
      const approved = await citizen.call('GET', path);
      assert.equal(approved.json.status, 'approved');
      assert.deepEqual(approved.json.cards, approve.json.cards);
      const cardsPage = await citizen.call('GET', '/portal/cards');
      assert.equal(cardsPage.status, 200);
      assert.ok(cardsPage.text.includes(card), `the card ${card} under /portal/cards`);

      const twice = await clerk.call('POST', `/api/v1/applications/${app.id}/decision`, { decision: 'approve' });
      assert.equal(twice.status, 409, show(twice));
      const withdraw = await citizen.call('POST', `${path}/withdraw`);
      assert.equal(withdraw.status, 409, show(withdraw));

      const note = await clerk.call('POST', `/api/v1/applications/${app.id}/notes`, { text: 'Bescheid geprüft.' });
      assert.ok(note.status >= 200 && note.status < 300, show(note));

      // The Ehrenamtsbüro sees none of it.
      const other = staffApi(server, createToken(server, 'ehrenamt', 'applications:read,applications:decide', 'apps'));
      const docId = upload.json.id;
      for (const [method, route, body] of [
        ['GET', `/api/v1/applications/${app.id}`],
        ['POST', `/api/v1/applications/${app.id}/decision`, { decision: 'reject', reason: 'Nicht zuständig' }],
        ['POST', `/api/v1/applications/${app.id}/notes`, { text: 'Notiz' }],
        ['GET', `/api/v1/applications/${app.id}/documents/${docId}`],
      ]) {
        const r = await other.call(method, route, body);
        assert.equal(r.status, 404, `${method} ${route}: ${show(r)}`);
      }
      const theirs = await other.call('GET', '/api/v1/applications');
      assert.equal(theirs.status, 200, show(theirs));
      assert.ok(!theirs.json.items.some((a) => a.id === app.id));
      // The responsible clerk reads the document.
      const doc = await clerk.call('GET', `/api/v1/applications/${app.id}/documents/${docId}`);
      assert.equal(doc.status, 200, show(doc));
      assert.ok(doc.bytes.equals(pdf), 'the PDF, byte for byte');
    });

    test('the organisation confirms through its link, once', async () => {
      const server = await boot();
      const token = organisationToken(server.demo);
      const awaiting = demoApplication(server.demo, VOLUNTEER_CARD, 'awaiting_confirmation');
      assert.ok(awaiting, 'the demo has an application awaiting the organisation');
      const url = `${server.url}/api/portal/v1/organisation-confirmation`;

      const shown = await fetch(`${url}?token=${encodeURIComponent(token)}`);
      assert.equal(shown.status, 200);
      const body = await shown.json();
      assert.equal(body.state, 'pending');
      assert.ok(body.organisation, JSON.stringify(body));
      assert.ok(body.shown.some((s) => s.field === 'family_name' && s.value === 'Mustermann'), JSON.stringify(body));

      const post = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token, decision: 'confirm' }) });
      const confirmed = await post();
      assert.ok(confirmed.status >= 200 && confirmed.status < 300, `${confirmed.status}`);
      const second = await post();
      assert.ok(second.status >= 400, `a second answer: ${second.status}`);

      const citizen = await signInCitizen(server, DEMO_CITIZEN, 'substantial');
      const after = await citizen.call('GET', `/api/portal/v1/applications/${awaiting.id}`);
      assert.equal(after.status, 200, show(after));
      assert.notEqual(after.json.status, 'awaiting_confirmation', 'confirmed, the application moves on');
    });

    test('statistics suppress counts under 5', async () => {
      const server = await boot();
      const stats = staffApi(server, createToken(server, 'sozialamt', 'statistics:read', 'stats'));
      const r = await stats.call('GET', '/api/v1/statistics/applications');
      assert.equal(r.status, 200, show(r));
      assert.ok(Array.isArray(r.json.cells) && r.json.cells.length > 0, show(r));
      for (const cell of r.json.cells) {
        assert.ok(cell.count === null || cell.count >= 5, JSON.stringify(cell));
      }
      assert.ok(r.json.cells.some((c) => c.count === null), 'the demo\'s single applications are suppressed');
    });
  });
}
