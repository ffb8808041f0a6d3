// "My activity": a change to your credentials appears in the notification list with the unread count
// in the header; another session is listed and signed out (its cookie is refused next); each key shows
// its rotation deadline; admins see the deadline policy and run the enforcement dry run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signIn, hydrated, tearDown } from '../harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(() => tearDown(browser, server));

test('a change is notified, read, and another session is signed out', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'bob');
  await hydrated(page);
  // Bob's inactive key: activating it is a change he is told about.
  const row = page.locator('[data-testid=access-key-row]', { hasText: 'Inactive' });
  await row.locator('[data-testid=toggle-key]').click();
  await page.waitForFunction(() => ![...document.querySelectorAll('[data-testid=access-key-row]')].some((r) => r.textContent.includes('Inactive')));
  assert.match(await page.textContent('[data-testid=access-key-row] >> nth=0'), /Rotate|Overdue/, 'the deadline is shown beside the key');

  // A second session of Bob's, in another browser.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, server.url, 'bob');

  await page.goto(`${server.url}/activity`);
  await hydrated(page);
  const activated = '[data-testid=notification]:has-text("An access key was activated")';
  const list = await page.textContent('[data-testid=notification-list]');
  assert.match(list, /by you \(your keydesk account\)/);
  assert.doesNotMatch(list, /AKIA[A-Z0-9]{16}/, 'notices show the last 4 characters only');
  // His own change, made in this session, is recorded but not unread here...
  assert.equal(await page.getAttribute(activated, 'data-read'), 'true');
  // ...and unread in his other session, where someone else in his name would have to notice it.
  await otherPage.goto(`${server.url}/activity`);
  await hydrated(otherPage);
  assert.match(await otherPage.getAttribute('[data-testid=notifications-link]', 'aria-label'), /[1-9]\d* unread/);
  assert.equal(await otherPage.getAttribute(activated, 'data-read'), 'false');
  await otherPage.click('[data-testid=mark-read]');
  await otherPage.waitForSelector('[data-testid=mark-read]', { state: 'detached' });
  assert.equal(await otherPage.locator('[data-testid=notification][data-read=false]').count(), 0);
  await page.reload();
  await hydrated(page);

  assert.equal(await page.locator('[data-testid=session-row]').count(), 2);
  assert.equal(await page.locator('[data-testid=session-row][data-current=true]').count(), 1);
  assert.match(await page.textContent('[data-testid=session-row][data-current=false]'), /Chrom|HeadlessChrome|Mozilla/, 'the browser is named');
  await page.click('[data-testid=session-row][data-current=false] [data-testid=end-session]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=session-row]').length === 1);
  // The other browser's cookie is refused: it lands on the sign-in page.
  await otherPage.goto(`${server.url}/`);
  assert.match(otherPage.url(), /\/sign-in/);
  await other.close();
  // The history names actions in words and marks outcomes: this one worked.
  assert.match(await page.textContent('[data-testid=history]'), /An access key was activated/);
  assert.doesNotMatch(await page.textContent('[data-testid=history]'), /access_key\./);
  assert.equal(await page.getAttribute('[data-testid=history-row] [data-testid=history-outcome]', 'data-failed'), 'false');
  await ctx.close();
});

test('admins see the deadline policy and the enforcement dry run', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'dave');
  await page.goto(`${server.url}/admin`);
  await hydrated(page);
  assert.match(await page.textContent('[data-testid=key-policy]'), /rotated every 90 days.*14, 7, 1 days before/);
  // A full page load (the server renders the result): waiting for the new URL's load, not for time.
  await Promise.all([page.waitForURL(/dry-run=1/, { waitUntil: 'load' }), page.click('[data-testid=dry-run-button]')]);
  await page.waitForSelector('[data-testid=dry-run-count]');
  // Demo data: alice (134 days), erin (95), grace (150), heidi (480), svc-backup (365) are past 90 days.
  assert.ok(await page.locator('[data-testid=dry-run-row]').count() >= 4);
  assert.match(await page.textContent('[data-testid=dry-run-count]'), /enforcement is notify: they stay active/);
  await ctx.close();
});

for (const javaScriptEnabled of [true, false]) {
  test(`${javaScriptEnabled ? 'JS on' : 'JS off'}: an admin exempts a user from the key deadline and ends it`, async () => {
    const ctx = await browser.newContext({ javaScriptEnabled });
    const page = await ctx.newPage();
    await signIn(page, server.url, 'dave', { js: javaScriptEnabled });
    await page.goto(`${server.url}/admin`);
    if (javaScriptEnabled) await hydrated(page);
    const who = javaScriptEnabled ? 'grace' : 'heidi';
    // A refusal comes back at the section, under the form.
    await page.fill('[data-testid=exemption-user]', who);
    await page.fill('[data-testid=exemption-reason]', 'migration to roles in progress');
    await page.fill('[data-testid=exemption-until]', '2020-01-01');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=exemption-save]')]);
    assert.match(page.url(), /#deadlines$/);
    assert.match(await page.textContent('[data-testid=exemption-error]'), /The end date must be in the future\./);
    await page.fill('[data-testid=exemption-user]', who);
    await page.fill('[data-testid=exemption-reason]', 'migration to roles in progress');
    await page.fill('[data-testid=exemption-until]', '2027-03-01');
    // The form posts; the answer is the page again, at its section, with the exemption listed.
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('[data-testid=exemption-save]')]);
    assert.match(page.url(), /\/admin#deadlines$/);
    const row = page.locator('[data-testid=exemption-row]', { hasText: who });
    await row.waitFor();
    assert.match(await row.textContent(), /2027-03-01.*migration to roles in progress.*dave/);
    // The dry run respects it: the exempt user's key is not listed.
    await page.goto(`${server.url}/admin?dry-run=1`);
    await page.waitForSelector('[data-testid=dry-run-count]');
    assert.equal(await page.locator('[data-testid=dry-run-row]', { hasText: who }).count(), 0);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), row.locator('button', { hasText: 'End' }).click()]);
    assert.match(page.url(), /dry-run=1#deadlines$/);
    await page.waitForSelector('[data-testid=exemption-form]');
    assert.equal(await page.locator('[data-testid=exemption-row]', { hasText: who }).count(), 0);
    await ctx.close();
  });
}
