// The mailbox (docs/mailbox.md) against the real binary on both engines: a
// citizen (test sign-in) and the social office write to each other with
// attachments; every staff route keeps to the staff member's department and
// scopes, every citizen route to the citizen's account; attachments are
// recognised by their content and limited in size and number, and a refused
// one stores nothing; e-mail goes through a real SMTP peer (npm smtp-server,
// with STARTTLS and AUTH): the confirmation link, notices without content,
// retries after temporary refusals, an outbox that survives a restart;
// Idempotency-Key on a new question; `passwerk mail test`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { BIN, demoTemplate, startServer } from '../lib/server.mjs';
import { engines } from '../lib/engines.mjs';
import { createToken } from '../lib/guest_fixture.mjs';
import { freePort, startSmtpServer } from '../lib/peers.mjs';
import {
  confirmationToken, mailsTo, messageForm, noMoreMail, samplePdf, samplePng, show, signInCitizen, staffApi, UTC,
  waitForMail,
} from '../lib/mailbox_fixture.mjs';

const SOCIAL = 2; // the demo's Sozialamt
const MAX_BYTES = 2048;
const SMTP_AUTH = { user: 'passwerk', pass: 'smtp-test-password' };
const FROM = 'postfach@passwerk.example';

// The environment every server of this file gets; the SMTP keys come per server.
const BASE_ENV = {
  PASSWERK_PORTAL_TEST_LOGIN: 'true',
  PASSWERK_MAIL_FROM: `Passwerk Test <${FROM}>`,
  PASSWERK_MAIL_RETRY_BASE_SECONDS: '1',
  PASSWERK_MAILBOX_ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
  PASSWERK_MAILBOX_ATTACHMENT_MAX_COUNT: '2',
};

// A plain SMTP peer: no STARTTLS, no AUTH.
const plainSmtpEnv = (url) => ({ PASSWERK_SMTP_URL: url, PASSWERK_SMTP_STARTTLS: 'off' });

// `passwerk …` without blocking this process (the SMTP peer runs in it):
// {code, stdout, stderr}.
function passwerkAsync(args, env) {
  return new Promise((resolve) => {
    execFile(BIN, args, { env, encoding: 'utf8', timeout: 60000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

// An environment without the SMTP keys of another server.
function withoutSmtp(env) {
  const out = { ...env };
  for (const k of Object.keys(out)) if (/^PASSWERK_SMTP_/.test(k)) delete out[k];
  return out;
}

const pdf = (name = 'nachweis.pdf', text = 'Nachweis') => ({ name, data: samplePdf(text), type: 'application/pdf' });
const png = (name = 'antwort.png') => ({ name, data: samplePng(), type: 'image/png' });

for (const engine of engines()) {
  describe(engine.name, () => {
    // The demo dataset once per engine; every server below starts on a copy.
    let template = null;
    let templateDb = null;
    const started = []; // {server, db} to stop in the end, also when a test fails
    const peers = [];

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
      for (const peer of peers.splice(0)) await peer.stop();
      template?.remove();
      templateDb?.cleanup();
      for (const [server, result] of results) {
        if (result.code !== null && result.code !== undefined) assert.equal(result.code, 0, `server exit: ${server.stderr()}`);
      }
    });

    async function boot(env) {
      const db = engine.setup({ template: templateDb.database });
      const server = await startServer({ pgUrl: db.pgUrl, template, env: { ...BASE_ENV, ...env } });
      const entry = { server, db };
      started.push(entry);
      return entry;
    }
    async function peer(options) {
      const p = await startSmtpServer(options);
      peers.push(p);
      return p;
    }

    // The main server: mail through a peer with STARTTLS and AUTH, as in production.
    let server;
    let smtp;
    let social; // sozialamt, threads:read threads:write
    let volunteer; // ehrenamt, threads:read threads:write
    before(async () => {
      smtp = await peer({ starttls: true, auth: SMTP_AUTH });
      ({ server } = await boot({
        PASSWERK_SMTP_URL: smtp.url, PASSWERK_SMTP_STARTTLS: 'required', PASSWERK_SMTP_CA_FILE: smtp.caFile,
        PASSWERK_SMTP_USERNAME: SMTP_AUTH.user, PASSWERK_SMTP_PASSWORD: SMTP_AUTH.pass,
      }));
      social = staffApi(server, createToken(server, 'sozialamt', 'threads:read,threads:write', 'postfach'));
      volunteer = staffApi(server, createToken(server, 'ehrenamt', 'threads:read,threads:write', 'postfach'));
    });

    // A citizen's new question to the social office; the thread.
    async function ask(citizen, subject = 'Frage zum Sozialpass', body = 'Wie lange dauert die Bearbeitung?') {
      const r = await citizen.call('POST', '/api/portal/v1/threads', { department_id: SOCIAL, subject, body });
      assert.equal(r.status, 201, show(r));
      return r.json;
    }
    async function staffThread(api, id) {
      const r = await api.call('GET', `/api/v1/threads/${id}`);
      assert.equal(r.status, 200, show(r));
      return r.json;
    }
    async function staffList(api, filter) {
      const r = await api.call('GET', `/api/v1/threads?filter=${filter}`);
      assert.equal(r.status, 200, show(r));
      return r.json.threads;
    }
    const ids = (threads) => threads.map((t) => t.id);

    test('round trip: a question with a PDF, an answer with a PNG, unread and read', async () => {
      const citizen = await signInCitizen(server, 'Clara Postfach');
      assert.equal((await citizen.call('GET', '/api/portal/v1/threads')).json.threads.length, 0, 'a new account, no threads');

      const departments = await citizen.call('GET', '/api/portal/v1/departments');
      assert.equal(departments.status, 200, show(departments));
      const office = departments.json.departments.find((d) => d.id === SOCIAL);
      assert.ok(office, show(departments));
      assert.equal(office.name, 'Sozialamt');
      assert.match(office.municipality, /Kellenhusen/);

      // Without the CSRF header the cookie alone writes nothing.
      const forged = await citizen.call('POST', '/api/portal/v1/threads',
        { department_id: SOCIAL, subject: 'x', body: 'y' }, { csrf: false });
      assert.equal(forged.status, 403, show(forged));
      const wrongToken = await citizen.call('POST', '/api/portal/v1/threads',
        { department_id: SOCIAL, subject: 'x', body: 'y' }, { csrf: false, headers: { 'x-csrf-token': 'nope' } });
      assert.equal(wrongToken.status, 403, show(wrongToken));
      // Without a session there is no mailbox.
      assert.equal((await fetch(`${server.url}/api/portal/v1/threads`)).status, 401);

      const thread = await ask(citizen, 'Frage zum Sozialpass', 'Wie lange dauert die Bearbeitung?');
      assert.equal(typeof thread.id, 'string');
      assert.equal(thread.subject, 'Frage zum Sozialpass');
      assert.deepEqual(thread.department, { id: SOCIAL, name: 'Sozialamt' });
      assert.equal(thread.case, null);
      assert.equal(thread.state, 'open');
      assert.equal(thread.unread, 0);
      assert.match(thread.updated_at, UTC);
      assert.equal('assigned_to' in thread, false, 'citizens do not see the assignment');
      assert.equal('unanswered' in thread, false);

      const file = pdf('Bescheid Jobcenter.pdf');
      const posted = await citizen.call('POST', `/api/portal/v1/threads/${thread.id}/messages`,
        messageForm('Anbei der Bescheid.', [file]));
      assert.equal(posted.status, 201, show(posted));
      assert.equal(posted.json.from, 'citizen');
      assert.equal(posted.json.body, 'Anbei der Bescheid.');
      assert.match(posted.json.sent_at, UTC);
      assert.equal(posted.json.read_at, null);
      assert.equal(posted.json.attachments.length, 1);
      const [sentPdf] = posted.json.attachments;
      assert.equal(sentPdf.name, 'Bescheid Jobcenter.pdf');
      assert.equal(sentPdf.type, 'application/pdf');
      assert.equal(sentPdf.size, file.data.length);
      assert.equal('author' in posted.json, false);

      const mine = await citizen.call('GET', '/api/portal/v1/threads');
      assert.deepEqual(ids(mine.json.threads), [thread.id]);

      // The office: the thread is open, unanswered, nobody's yet.
      for (const filter of ['open', 'unanswered', 'all']) {
        const listed = (await staffList(social, filter)).find((t) => t.id === thread.id);
        assert.ok(listed, `filter=${filter} lists the thread`);
        assert.equal(listed.unanswered, true);
        assert.equal(listed.assigned_to, null);
        assert.equal(listed.unread, 2, 'both citizen messages are unread for the office');
      }
      for (const filter of ['mine', 'closed']) {
        assert.ok(!ids(await staffList(social, filter)).includes(thread.id), `filter=${filter} does not list it`);
      }
      const byDepartment = await social.call('GET', `/api/v1/threads?filter=all&department_id=${SOCIAL}`);
      assert.equal(byDepartment.status, 200, show(byDepartment));
      assert.ok(ids(byDepartment.json.threads).includes(thread.id));
      // The demo's own thread is there too, with Erika Mustermann.
      assert.equal(server.demo.mailbox.department_id, SOCIAL);
      assert.ok(ids(byDepartment.json.threads).includes(server.demo.mailbox.thread_id), 'the demo thread');

      const read = await staffThread(social, thread.id);
      assert.equal(read.messages.length, 2);
      assert.deepEqual(read.messages.map((m) => m.from), ['citizen', 'citizen']);
      assert.equal(read.messages[0].body, 'Wie lange dauert die Bearbeitung?');
      assert.equal(read.messages[0].author, null);
      assert.equal(read.messages[1].attachments[0].id, sentPdf.id);

      const download = await social.call('GET', `/api/v1/threads/${thread.id}/attachments/${sentPdf.id}`);
      assert.equal(download.status, 200, show(download));
      assert.equal(download.headers.get('content-type'), 'application/pdf');
      assert.match(download.headers.get('content-disposition'), /^attachment/);
      assert.match(download.headers.get('cache-control') ?? '', /no-store/);
      assert.ok(download.bytes.equals(file.data), 'the PDF comes back byte for byte');

      const marked = await social.call('POST', `/api/v1/threads/${thread.id}/read`);
      assert.equal(marked.status, 204, show(marked));
      assert.equal((await staffThread(social, thread.id)).unread, 0);

      // The answer, with a PNG.
      const image = png('Formular Seite 1.png');
      const answered = await social.call('POST', `/api/v1/threads/${thread.id}/messages`,
        messageForm('Bitte füllen Sie das Formular aus.', [image]));
      assert.equal(answered.status, 201, show(answered));
      assert.equal(answered.json.from, 'staff');
      assert.equal(answered.json.author, 'Sofia Sozial');
      assert.equal(answered.json.attachments[0].type, 'image/png');
      assert.equal(answered.json.attachments[0].size, image.data.length);
      assert.ok(!ids(await staffList(social, 'unanswered')).includes(thread.id), 'answered');
      assert.ok(ids(await staffList(social, 'open')).includes(thread.id), 'still open');

      // Assign to oneself: mine.
      const assignees = await social.call('GET', `/api/v1/threads/${thread.id}/assignees`);
      assert.equal(assignees.status, 200, show(assignees));
      const sofia = assignees.json.assignees.find((a) => a.name === 'Sofia Sozial');
      assert.ok(sofia, show(assignees));
      assert.ok(!assignees.json.assignees.some((a) => a.name === 'Emil Ehrenamt'), 'only the department\'s staff');
      const assigned = await social.call('POST', `/api/v1/threads/${thread.id}/assign`, { user_id: sofia.id });
      assert.equal(assigned.status, 200, show(assigned));
      assert.deepEqual(assigned.json.assigned_to, { id: sofia.id, name: 'Sofia Sozial' });
      assert.ok(ids(await staffList(social, 'mine')).includes(thread.id));

      // The citizen: one unread answer, from the department, with the PNG.
      const list = (await citizen.call('GET', '/api/portal/v1/threads')).json.threads;
      assert.equal(list.find((t) => t.id === thread.id).unread, 1);
      const seen = await citizen.call('GET', `/api/portal/v1/threads/${thread.id}`);
      assert.equal(seen.status, 200, show(seen));
      assert.equal(seen.json.unread, 1);
      assert.equal(seen.json.messages.length, 3);
      const last = seen.json.messages[2];
      assert.equal(last.from, 'staff');
      assert.equal(last.body, 'Bitte füllen Sie das Formular aus.');
      assert.equal('author' in last, false, 'citizens see the department, not the clerk');
      assert.equal(last.read_at, null);
      assert.equal('assigned_to' in seen.json, false);
      assert.match(seen.json.messages[1].read_at ?? '', UTC, 'the office read the citizen\'s message');
      const got = await citizen.call('GET', `/api/portal/v1/threads/${thread.id}/attachments/${last.attachments[0].id}`);
      assert.equal(got.status, 200, show(got));
      assert.equal(got.headers.get('content-type'), 'image/png');
      assert.match(got.headers.get('content-disposition'), /^attachment/);
      assert.ok(got.bytes.equals(image.data), 'the PNG comes back byte for byte');

      const readNow = await citizen.call('POST', `/api/portal/v1/threads/${thread.id}/read`);
      assert.equal(readNow.status, 204, show(readNow));
      assert.equal((await citizen.call('GET', '/api/portal/v1/threads')).json.threads.find((t) => t.id === thread.id).unread, 0);
      const staffView = await staffThread(social, thread.id);
      assert.match(staffView.messages[2].read_at ?? '', UTC, 'the office sees when the citizen read its answer');

      // Close and reopen.
      const closed = await social.call('POST', `/api/v1/threads/${thread.id}/close`);
      assert.equal(closed.status, 200, show(closed));
      assert.equal(closed.json.state, 'closed');
      assert.ok(ids(await staffList(social, 'closed')).includes(thread.id));
      assert.ok(!ids(await staffList(social, 'open')).includes(thread.id));
      assert.equal((await citizen.call('GET', `/api/portal/v1/threads/${thread.id}`)).json.state, 'closed');
      const reopened = await social.call('POST', `/api/v1/threads/${thread.id}/reopen`);
      assert.equal(reopened.status, 200, show(reopened));
      assert.equal(reopened.json.state, 'open');
      const unassigned = await social.call('POST', `/api/v1/threads/${thread.id}/assign`, { user_id: null });
      assert.equal(unassigned.status, 200, show(unassigned));
      assert.equal(unassigned.json.assigned_to, null);
    });

    test('department separation on every staff route; scopes; roles; other citizens', async () => {
      const owner = await signInCitizen(server, 'Olga Eigentum');
      const thread = await ask(owner, 'Nur für das Sozialamt');
      const posted = await owner.call('POST', `/api/portal/v1/threads/${thread.id}/messages`, messageForm('Anbei.', [pdf()]));
      assert.equal(posted.status, 201, show(posted));
      const attachment = posted.json.attachments[0].id;
      const sofia = (await social.call('GET', `/api/v1/threads/${thread.id}/assignees`)).json.assignees
        .find((a) => a.name === 'Sofia Sozial');
      const before = await staffThread(social, thread.id);

      // The volunteer office's clerk: 404 on every route, as if the thread did not exist.
      const routes = [
        ['GET', `/api/v1/threads/${thread.id}`],
        ['GET', `/api/v1/threads/${thread.id}/attachments/${attachment}`],
        ['POST', `/api/v1/threads/${thread.id}/messages`, () => messageForm('Von außen', [pdf()])],
        ['POST', `/api/v1/threads/${thread.id}/read`],
        ['POST', `/api/v1/threads/${thread.id}/assign`, () => ({ user_id: sofia.id })],
        ['POST', `/api/v1/threads/${thread.id}/assign`, () => ({ user_id: null })],
        ['POST', `/api/v1/threads/${thread.id}/close`],
        ['POST', `/api/v1/threads/${thread.id}/reopen`],
        ['GET', `/api/v1/threads/${thread.id}/assignees`],
      ];
      for (const [method, path, body] of routes) {
        const r = await volunteer.call(method, path, body?.());
        assert.equal(r.status, 404, `ehrenamt ${method} ${path}: ${show(r)}`);
        assert.ok(r.json?.error?.code, `an error body: ${show(r)}`);
        assert.doesNotMatch(r.text, /Nur für das Sozialamt|Anbei/, 'nothing of the thread in the answer');
      }
      for (const filter of ['open', 'unanswered', 'all', 'mine', 'closed']) {
        const r = await volunteer.call('GET', `/api/v1/threads?filter=${filter}`);
        assert.equal(r.status, 200, show(r));
        assert.ok(!ids(r.json.threads).includes(thread.id), `ehrenamt's filter=${filter}`);
        assert.ok(r.json.threads.every((t) => t.department.id !== SOCIAL), 'no thread of the Sozialamt at all');
      }
      const narrowed = await volunteer.call('GET', `/api/v1/threads?filter=all&department_id=${SOCIAL}`);
      if (narrowed.status === 200) assert.ok(!ids(narrowed.json.threads).includes(thread.id), show(narrowed));
      else assert.ok([403, 404].includes(narrowed.status), `another department's id: ${show(narrowed)}`);
      // Nothing changed.
      const after = await staffThread(social, thread.id);
      assert.equal(after.messages.length, before.messages.length);
      assert.equal(after.state, 'open');
      assert.equal(after.assigned_to, null);
      assert.equal(after.unread, before.unread, 'the volunteer office marked nothing read');

      // A token of the right department without the scope: 403.
      const noScope = staffApi(server, createToken(server, 'sozialamt', 'cards:read', 'no-threads'));
      for (const [method, path, body] of [...routes, ['GET', '/api/v1/threads?filter=all']]) {
        const r = await noScope.call(method, path, body?.());
        assert.equal(r.status, 403, `cards:read ${method} ${path}: ${show(r)}`);
      }
      const readOnly = staffApi(server, createToken(server, 'sozialamt', 'threads:read', 'read-only'));
      assert.equal((await readOnly.call('GET', `/api/v1/threads/${thread.id}`)).status, 200);
      for (const [method, path, body] of routes.filter(([m, p]) => m === 'POST' && !p.endsWith('/read'))) {
        const r = await readOnly.call(method, path, body?.());
        assert.equal(r.status, 403, `threads:read only, ${method} ${path}: ${show(r)}`);
      }

      // Roles without the mailbox: the auditor and the landlord.
      const auditor = staffApi(server, createToken(server, 'auditor', 'audit:read', 'auditor'));
      const landlord = staffApi(server, server.demo.guest_cards.landlord_token);
      for (const [who, api] of [['auditor', auditor], ['landlord', landlord]]) {
        for (const [method, path] of [['GET', '/api/v1/threads?filter=all'], ['GET', `/api/v1/threads/${thread.id}`],
          ['GET', `/api/v1/threads/${thread.id}/attachments/${attachment}`]]) {
          const r = await api.call(method, path);
          assert.equal(r.status, 403, `${who} ${method} ${path}: ${show(r)}`);
        }
      }

      // Another citizen: the thread and its file do not exist for them.
      const other = await signInCitizen(server, 'Max Fremd');
      const own = await ask(other, 'Meine eigene Frage');
      for (const [method, path, body] of [
        ['GET', `/api/portal/v1/threads/${thread.id}`],
        ['GET', `/api/portal/v1/threads/${thread.id}/attachments/${attachment}`],
        ['GET', `/api/portal/v1/threads/${own.id}/attachments/${attachment}`],
        ['POST', `/api/portal/v1/threads/${thread.id}/messages`, () => messageForm('Fremd', [])],
        ['POST', `/api/portal/v1/threads/${thread.id}/read`],
      ]) {
        const r = await other.call(method, path, body?.());
        assert.equal(r.status, 404, `another citizen ${method} ${path}: ${show(r)}`);
      }
      assert.deepEqual(ids((await other.call('GET', '/api/portal/v1/threads')).json.threads), [own.id]);
      // The office's attachment id under its own thread is still found by the owner only.
      assert.equal((await owner.call('GET', `/api/portal/v1/threads/${thread.id}/attachments/${attachment}`)).status, 200);
      assert.equal((await staffThread(social, thread.id)).messages.length, before.messages.length, 'nothing was posted');
    });

    test('attachments: content decides, size and count are limited, a refusal stores nothing; HTML stays text', async () => {
      const citizen = await signInCitizen(server, 'Anton Anhang');
      const script = 'Hallo <script>alert(1)</script> & <b>fett</b> "zitiert"';
      const thread = await ask(citizen, '<i>Betreff</i> mit <script>alert(2)</script>', script);
      assert.equal(thread.subject, '<i>Betreff</i> mit <script>alert(2)</script>');
      const path = `/api/portal/v1/threads/${thread.id}/messages`;
      const count = async () => (await citizen.call('GET', `/api/portal/v1/threads/${thread.id}`)).json.messages.length;
      assert.equal(await count(), 1);

      const refusals = {
        'HTML named x.pdf': [{ name: 'x.pdf', data: Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>'), type: 'application/pdf' }],
        'a PNG that is text': [{ name: 'bild.png', data: Buffer.from('GIF89a not a png at all'), type: 'image/png' }],
        'an empty file': [{ name: 'leer.pdf', data: Buffer.alloc(0), type: 'application/pdf' }],
        [`a PDF over ${MAX_BYTES} bytes`]: [{ name: 'gross.pdf', data: samplePdf('gross', MAX_BYTES), type: 'application/pdf' }],
        'three files where two may go': [pdf('a.pdf'), pdf('b.pdf'), png('c.png')],
        'a good file beside a bad one': [pdf('gut.pdf'), { name: 'boese.pdf', data: Buffer.from('MZ\x90\x00 an exe'), type: 'application/pdf' }],
      };
      for (const [what, files] of Object.entries(refusals)) {
        const r = await citizen.call('POST', path, messageForm(`Text zu ${what}`, files));
        assert.equal(r.status, 400, `${what}: ${show(r)}`);
        assert.equal(r.json?.error?.field, 'attachment', `${what}: ${show(r)}`);
        assert.ok(r.json.error.message, what);
      }
      assert.ok(samplePdf('gross', MAX_BYTES).length > MAX_BYTES);
      assert.equal(await count(), 1, 'no refused message was stored');
      // The staff side checks the same.
      const staffRefused = await social.call('POST', `/api/v1/threads/${thread.id}/messages`,
        messageForm('Antwort', [{ name: 'antwort.png', data: Buffer.from('<svg onload="alert(1)"/>'), type: 'image/png' }]));
      assert.equal(staffRefused.status, 400, show(staffRefused));
      assert.equal(staffRefused.json.error.field, 'attachment');
      assert.equal(await count(), 1);

      // Neither text nor file: refused too.
      const empty = await citizen.call('POST', path, messageForm('', []));
      assert.equal(empty.status, 400, show(empty));
      assert.equal(await count(), 1);

      // Two files within the limit, and a file without text, are fine.
      const two = await citizen.call('POST', path, messageForm('Zwei Dateien', [pdf('a.pdf'), png('b.png')]));
      assert.equal(two.status, 201, show(two));
      assert.deepEqual(two.json.attachments.map((a) => a.type), ['application/pdf', 'image/png']);
      const fileOnly = await citizen.call('POST', path, messageForm(null, [pdf('nur-datei.pdf')]));
      assert.equal(fileOnly.status, 201, show(fileOnly));
      // The name is cleaned: no path, an extension that fits the content.
      const renamed = await citizen.call('POST', path, messageForm('Pfad', [{ name: '../../etc/"passwd".png', data: samplePdf(), type: 'image/png' }]));
      assert.equal(renamed.status, 201, show(renamed));
      const cleaned = renamed.json.attachments[0];
      assert.equal(cleaned.type, 'application/pdf', 'the content decides the type');
      assert.doesNotMatch(cleaned.name, /[/\\"]/);
      assert.match(cleaned.name, /\.pdf$/);
      const download = await citizen.call('GET', `/api/portal/v1/threads/${thread.id}/attachments/${cleaned.id}`);
      assert.equal(download.headers.get('content-type'), 'application/pdf');
      assert.match(download.headers.get('content-disposition'), /^attachment/);
      assert.doesNotMatch(download.headers.get('content-disposition'), /\.\.\//);

      // The HTML comes back verbatim, as JSON text, to both sides.
      const mineView = await citizen.call('GET', `/api/portal/v1/threads/${thread.id}`);
      assert.match(mineView.headers.get('content-type'), /^application\/json/);
      assert.equal(mineView.json.messages[0].body, script);
      assert.equal(mineView.json.subject, '<i>Betreff</i> mit <script>alert(2)</script>');
      const staffView = await staffThread(social, thread.id);
      assert.equal(staffView.messages[0].body, script);
      assert.equal(staffView.messages.length, 4);
    });

    test('e-mail: the address is confirmed by its link; a notice says nothing of the content', async () => {
      const citizen = await signInCitizen(server, 'Dora Benachrichtigung');
      const address = 'dora.benachrichtigung@example.org';
      const none = await citizen.call('GET', '/api/portal/v1/email');
      assert.equal(none.status, 200, show(none));
      assert.deepEqual(none.json, { email: null });
      assert.equal((await citizen.call('POST', '/api/portal/v1/email', { address }, { csrf: false })).status, 403);
      for (const bad of ['not an address', 'a@b', 'x@example.org\r\nBcc: victim@example.org', '<a@example.org>']) {
        const r = await citizen.call('POST', '/api/portal/v1/email', { address: bad });
        assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${show(r)}`);
      }

      const set = await citizen.call('POST', '/api/portal/v1/email', { address });
      assert.equal(set.status, 202, show(set));
      assert.deepEqual(set.json.email, { address, confirmed: false, notify: true });

      const [confirmation] = await waitForMail(smtp, address, 1);
      assert.equal(confirmation.secure, true, 'sent after STARTTLS');
      assert.equal(confirmation.user, SMTP_AUTH.user, 'sent with AUTH');
      assert.equal(confirmation.envelope.from, FROM);
      assert.match(confirmation.from, new RegExp(FROM.replaceAll('.', '\\.')));
      assert.ok(confirmation.subject, 'a subject');
      assert.ok(confirmation.text.includes(`${server.url}/portal/email/confirm?token=`), confirmation.text);
      const token = confirmationToken(confirmation);

      // Nothing else goes to an unconfirmed address: an answer now sends no notice.
      const thread = await ask(citizen, 'Vertraulicher Betreff Q7', 'Vertrauliche Frage K3');
      const early = await social.call('POST', `/api/v1/threads/${thread.id}/messages`, messageForm('Frühe Antwort', []));
      assert.equal(early.status, 201, show(early));

      // The link's token confirms, once, without session or CSRF token.
      for (const wrong of ['', 'abc', `${token}x`]) {
        const r = await fetch(`${server.url}/api/portal/v1/email/confirm`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: wrong }),
        });
        assert.ok([400, 404].includes(r.status), `token ${JSON.stringify(wrong)}: ${r.status}`);
      }
      const confirm = () => fetch(`${server.url}/api/portal/v1/email/confirm`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }),
      });
      const confirmed = await confirm();
      const confirmedJson = await confirmed.json();
      assert.equal(confirmed.status, 200, JSON.stringify(confirmedJson));
      assert.deepEqual(confirmedJson, { email: { address, confirmed: true, notify: true } },
        `the contract: 200 {"email": {…, "confirmed": true}}; got ${JSON.stringify(confirmedJson)}`);
      assert.ok([400, 404].includes((await confirm()).status), 'the link works once');
      assert.deepEqual((await citizen.call('GET', '/api/portal/v1/email')).json.email, { address, confirmed: true, notify: true });
      assert.equal(mailsTo(smtp, address).length, 1, 'no notice went to the address before it was confirmed');

      // Now an answer sends a notice, without subject, text or file name.
      const answer = await social.call('POST', `/api/v1/threads/${thread.id}/messages`,
        messageForm('Geheime Antwort Z9', [png('Geheimer Dateiname.png')]));
      assert.equal(answer.status, 201, show(answer));
      const [, notice] = await waitForMail(smtp, address, 2);
      assert.ok(notice.text.includes(`${server.url}/portal/mailbox`), notice.text);
      assert.doesNotMatch(notice.text, /\/portal\/email\/confirm/);
      for (const secret of ['Vertraulicher Betreff Q7', 'Q7', 'Vertrauliche Frage K3', 'Geheime Antwort Z9', 'Z9',
        'Frühe Antwort', 'Geheimer Dateiname', 'Sofia']) {
        assert.ok(!notice.text.includes(secret), `the notice's text names ${secret}:\n${notice.text}`);
        assert.ok(!notice.subject.includes(secret), `the notice's subject names ${secret}: ${notice.subject}`);
        assert.ok(!notice.raw.includes(secret), `the raw notice names ${secret}`);
      }
      assert.match(`${notice.subject}\n${notice.text}`, /Postfach/);

      // Notices off and on; the address removed.
      const off = await citizen.call('POST', '/api/portal/v1/email/notifications', { enabled: false });
      assert.equal(off.status, 200, show(off));
      assert.equal(off.json.email.notify, false);
      const on = await citizen.call('POST', '/api/portal/v1/email/notifications', { enabled: true });
      assert.equal(on.json.email.notify, true);
      const removed = await citizen.call('DELETE', '/api/portal/v1/email');
      assert.equal(removed.status, 204, show(removed));
      assert.deepEqual((await citizen.call('GET', '/api/portal/v1/email')).json, { email: null });
    });

    test('e-mail: confirmation mails are limited per address', async () => {
      const citizen = await signInCitizen(server, 'Egon Grenze');
      const address = 'egon.grenze@example.org';
      for (let i = 0; i < 3; i++) {
        const r = await citizen.call('POST', '/api/portal/v1/email', { address });
        assert.equal(r.status, 202, `request ${i + 1}: ${show(r)}`);
      }
      const limited = await citizen.call('POST', '/api/portal/v1/email', { address });
      assert.equal(limited.status, 429, show(limited));
      // Another account cannot go around it either.
      const other = await signInCitizen(server, 'Erwin Umweg');
      assert.equal((await other.call('POST', '/api/portal/v1/email', { address })).status, 429);
      // A newer request replaces a confirmation still queued: one to three mails, never the fourth.
      await waitForMail(smtp, address, 1);
      await new Promise((r) => setTimeout(r, 1500));
      const got = mailsTo(smtp, address).length;
      assert.ok(got >= 1 && got <= 3, `${got} confirmation mails`);
    });

    test('Idempotency-Key: a retried question is one thread', async () => {
      const citizen = await signInCitizen(server, 'Hugo Wiederholung');
      const body = { department_id: SOCIAL, subject: 'Einmal bitte', body: 'Nur ein Verlauf.' };
      const first = await citizen.call('POST', '/api/portal/v1/threads', body, { headers: { 'idempotency-key': 'frage-1' } });
      assert.equal(first.status, 201, show(first));
      assert.equal(first.headers.get('idempotency-replayed'), null);
      const again = await citizen.call('POST', '/api/portal/v1/threads', body, { headers: { 'idempotency-key': 'frage-1' } });
      assert.equal(again.status, 201, show(again));
      assert.equal(again.headers.get('idempotency-replayed'), 'true');
      assert.equal(again.json.id, first.json.id);
      assert.equal((await citizen.call('GET', '/api/portal/v1/threads')).json.threads.length, 1);
      const other = await citizen.call('POST', '/api/portal/v1/threads', { ...body, body: 'Anders.' },
        { headers: { 'idempotency-key': 'frage-1' } });
      assert.equal(other.status, 409, show(other));

      // A message upload retried byte for byte (the same boundary) is one message.
      const boundary = 'passwerk-test-boundary-1234';
      const file = samplePdf('einmal');
      const multipart = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="body"\r\n\r\nMit Datei, einmal.\r\n`
          + `--${boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="einmal.pdf"\r\n`
          + 'Content-Type: application/pdf\r\n\r\n'),
        file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
      const headers = { 'idempotency-key': 'nachricht-1', 'content-type': `multipart/form-data; boundary=${boundary}` };
      const path = `/api/portal/v1/threads/${first.json.id}/messages`;
      const m1 = await citizen.call('POST', path, multipart, { headers });
      assert.equal(m1.status, 201, show(m1));
      const m2 = await citizen.call('POST', path, multipart, { headers });
      assert.equal(m2.status, 201, show(m2));
      assert.equal(m2.headers.get('idempotency-replayed'), 'true');
      assert.equal(m2.json.id, m1.json.id);
      assert.equal((await citizen.call('GET', `/api/portal/v1/threads/${first.json.id}`)).json.messages.length, 2);
    });

    test('the outbox retries after temporary refusals', async () => {
      const refusing = await peer({ refuseFirst: 2 });
      const { server: s2 } = await boot(plainSmtpEnv(refusing.url));
      const citizen = await signInCitizen(s2, 'Fritz Geduld');
      const address = 'fritz.geduld@example.org';
      const queued = Date.now();
      assert.equal((await citizen.call('POST', '/api/portal/v1/email', { address })).status, 202);
      const [confirmation] = await waitForMail(refusing, address, 1, 30000);
      const took = Date.now() - queued;
      assert.equal(refusing.refused, 2, 'refused twice (at RCPT, then after DATA), then taken');
      assert.equal(refusing.transactions, 3);
      assert.ok(took >= 2500, `retried after pauses of 1 s and 2 s, not at once (${took} ms)`);
      assert.equal(confirmation.secure, false);
      // The confirmed address gets its notice, the first time.
      const confirmed = await fetch(`${s2.url}/api/portal/v1/email/confirm`, { method: 'POST',
        headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: confirmationToken(confirmation) }) });
      assert.equal(confirmed.status, 200);
      const office = staffApi(s2, createToken(s2, 'sozialamt', 'threads:write', 'retry'));
      const thread = await ask(citizen);
      assert.equal((await office.call('POST', `/api/v1/threads/${thread.id}/messages`, messageForm('Antwort', []))).status, 201);
      const [, notice] = await waitForMail(refusing, address, 2);
      assert.ok(notice.text.includes('/portal/mailbox'));
      assert.equal(refusing.refused, 2);
    });

    test('queued mail survives a restart while the SMTP server is down, and goes out once', async () => {
      const port = await freePort(); // nobody listens there yet
      const entry = await boot(plainSmtpEnv(`smtp://127.0.0.1:${port}`));
      let s3 = entry.server;
      const citizen = await signInCitizen(s3, 'Greta Neustart');
      const address = 'greta.neustart@example.org';
      assert.equal((await citizen.call('POST', '/api/portal/v1/email', { address })).status, 202);
      // Stop while the mail waits (the SMTP server is not there), then bring up the SMTP server and Passwerk again.
      const { dataDir, env } = s3;
      const stopped = await s3.stop({ keepData: true });
      assert.equal(stopped.code, 0, s3.stderr());
      const late = await peer({ port });
      s3 = await startServer({ dataDir, pgUrl: entry.db.pgUrl, demo: false, env });
      entry.server = s3;
      const [mail] = await waitForMail(late, address, 1, 30000);
      await noMoreMail(late, address, 1, 3000);
      assert.equal(late.transactions, 1, 'sent once');
      // The sealed link survived too: it confirms on the restarted server.
      const confirmed = await fetch(`${s3.url}/api/portal/v1/email/confirm`, { method: 'POST',
        headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: confirmationToken(mail) }) });
      assert.equal(confirmed.status, 200);
    });

    test('passwerk mail test delivers through the configured server, and fails clearly without one', async () => {
      const to = 'someone@example.org';
      // The main server's settings: STARTTLS, CA file, AUTH.
      const ok = await passwerkAsync(['mail', 'test', '--data', server.dataDir, '--to', to], server.env);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).sent, true, ok.stdout);
      const [mail] = await waitForMail(smtp, to, 1);
      assert.equal(mail.secure, true);
      assert.equal(mail.user, SMTP_AUTH.user);
      assert.equal(mail.envelope.from, FROM);
      assert.ok(!mail.raw.includes(SMTP_AUTH.pass), 'no password in the mail');

      // A plain relay with STARTTLS off.
      const plain = await peer();
      const plainEnv = { ...withoutSmtp(server.env), ...plainSmtpEnv(plain.url) };
      const relayed = await passwerkAsync(['mail', 'test', '--data', server.dataDir, '--to', to], plainEnv);
      assert.equal(relayed.code, 0, relayed.stderr);
      await waitForMail(plain, to, 1);
      // STARTTLS required, but the server does not offer it: refused, nothing sent in clear.
      const tlsRequired = await passwerkAsync(['mail', 'test', '--data', server.dataDir, '--to', to],
        { ...plainEnv, PASSWERK_SMTP_STARTTLS: 'required' });
      assert.notEqual(tlsRequired.code, 0, tlsRequired.stdout);
      assert.match(tlsRequired.stderr, /STARTTLS/);
      assert.equal(mailsTo(plain, to).length, 1);
      // The SMTP server is down.
      await plain.stop();
      const down = await passwerkAsync(['mail', 'test', '--data', server.dataDir, '--to', to], plainEnv);
      assert.notEqual(down.code, 0, down.stdout);
      assert.match(down.stderr, /SMTP|smtp|connect/, down.stderr);
      assert.ok(!down.stderr.includes(SMTP_AUTH.pass));
      // A wrong password: refused by the server, said so.
      const wrongPassword = await passwerkAsync(['mail', 'test', '--data', server.dataDir, '--to', to],
        { ...server.env, PASSWERK_SMTP_PASSWORD: 'wrong-password' });
      assert.notEqual(wrongPassword.code, 0, wrongPassword.stdout);
      assert.match(wrongPassword.stderr, /535|denied/i);
      assert.ok(!wrongPassword.stderr.includes('wrong-password'), 'the password is not echoed');
      // Without the CA file the self-signed certificate is not trusted: nothing is sent.
      const env = { ...server.env };
      delete env.PASSWERK_SMTP_CA_FILE;
      const untrusted = await passwerkAsync(['mail', 'test', '--data', server.dataDir, '--to', to], env);
      assert.notEqual(untrusted.code, 0, untrusted.stdout);
      assert.match(untrusted.stderr, /certificate/i);
      assert.equal(mailsTo(smtp, to).length, 1);
    });

    test('only the routes that take files, with a credential, accept an upload\'s size', async () => {
      // The headers of a body just above the ordinary 1 MiB limit (within this
      // server's upload limit: two files of 2 KiB and a megabyte for the
      // form), then our end of the connection closes: a
      // 413 comes at once; a server that waited for the body closes without
      // an answer ('read').
      const { hostname, port } = new URL(server.url);
      const status = (path, headers = '') => new Promise((resolve, reject) => {
        const socket = net.connect(Number(port), hostname, () => {
          socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: multipart/form-data; boundary=b\r\n` +
            `${headers}Content-Length: ${1024 * 1024 + 1024}\r\n\r\n`);
          socket.end();
        });
        let answer = '';
        socket.on('data', (chunk) => { answer += chunk; });
        socket.on('close', () => resolve(answer ? Number(answer.split(' ')[1]) : 'read'));
        socket.on('error', reject);
      });
      // No credential: the ordinary limit, on an upload route too.
      assert.equal(await status('/api/v1/threads/x/messages'), 413);
      assert.equal(await status('/portal/mailbox/new'), 413);
      // Not a route that takes files: the ordinary limit, credential or not.
      assert.equal(await status('/api/v1/threads/x/close', 'Authorization: Bearer pwk_x_y\r\n'), 413);
      assert.equal(await status('/api/v1/threads/x/read', 'Authorization: Bearer pwk_x_y\r\n'), 413);
      // With a credential on a route that takes files, the server waits for the body.
      assert.equal(await status('/api/v1/threads/x/messages', 'Authorization: Bearer pwk_x_y\r\n'), 'read');
      assert.equal(await status('/portal/mailbox/new', 'Cookie: pw_citizen=x\r\n'), 'read');
    });
  });
}
