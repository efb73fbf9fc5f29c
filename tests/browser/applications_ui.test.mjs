// Browser test of online applications (issue 21) on every engine.
// The organisation page of the demo's link (axe-core on it); requests may go to the server only (tests/lib/browser.mjs).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSuite } from '../lib/browser.mjs';
import { engines } from '../lib/engines.mjs';
import { organisationToken } from '../lib/applications_fixture.mjs';

for (const engine of engines()) {
  describe(engine.name, () => {
    const ui = browserSuite({ engine, env: { PASSWERK_PORTAL_TEST_LOGIN: 'true' } });
    const { checkA11y, withPage } = ui;
    const pathOf = (page) => new URL(page.url()).pathname;

    async function goto(page, path, label = path) {
      const response = await page.goto(`${ui.base}${path}`);
      assert.equal(response.status(), 200, `${path}: ${response.status()}`);
      await checkA11y(page, label);
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
  });
}
