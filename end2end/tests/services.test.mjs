// Service credentials beyond CodeCommit in Chromium: a Bedrock API key with a chosen expiry is created,
// its alias and secret downloaded as CSV once, the expiry shown on its row; an out-of-range expiry is
// refused with its message; a Keyspaces credential is generated and deleted by typing its user name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, signIn, hydrated, tearDown } from '../harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(() => tearDown(browser, server));

test('a Bedrock API key with an expiry: created, downloaded once, listed with its expiry', async () => {
  const ctx = await browser.newContext({ acceptDownloads: true });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'alice');
  await hydrated(page);
  const bedrock = '[data-testid=svc-bedrock]';
  assert.match(await page.textContent(bedrock), /0 of 2 Bedrock API keys used/);

  await page.fill(`${bedrock} [data-testid=svc-days]`, '400');
  await page.click(`${bedrock} [data-testid=svc-generate]`);
  // The browser's own range check stops 400 (max 90); past it, the server says the same.
  assert.equal(await page.$eval(`${bedrock} [data-testid=svc-days]`, (el) => el.validity.rangeOverflow), true);
  await page.$eval(`${bedrock} [data-testid=svc-days]`, (el) => el.removeAttribute('max'));
  await page.click(`${bedrock} [data-testid=svc-generate]`);
  await page.waitForSelector(`${bedrock} [role=alert]`);
  assert.match(await page.textContent(`${bedrock} [role=alert]`), /between 1 and 90 days/);
  assert.equal(await page.$$eval('[data-testid=svc-row]', (rows) => rows.length), 0, 'nothing was created');

  await page.fill(`${bedrock} [data-testid=svc-days]`, '30');
  await page.click(`${bedrock} [data-testid=svc-generate]`);
  await page.waitForSelector('[data-testid=svc-secret]');
  const alias = (await page.textContent('[data-testid=svc-new-public]')).trim();
  assert.match(alias, /^alice\+/);
  assert.match(await page.textContent('[data-testid=svc-secret]'), /expires on \d{4}-\d{2}-\d{2}/);
  assert.match(await page.textContent('[data-testid=svc-new-secret]'), /^•+$/, 'masked until asked');
  await page.click('[data-testid=svc-show]');
  const secret = (await page.textContent('[data-testid=svc-new-secret]')).trim();
  assert.match(secret, /^ABSK/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=svc-download]')]);
  assert.equal(download.suggestedFilename(), 'alice_bedrock_credentials.csv');
  const lines = readFileSync(await download.path(), 'utf8').split('\r\n');
  assert.equal(lines[0], 'Alias,Secret');
  assert.equal(lines[1], `${alias},${secret}`);
  await page.click('[data-testid=svc-done]');
  await page.waitForSelector('[data-testid=svc-secret]', { state: 'detached' });
  await page.waitForSelector(`${bedrock} [data-testid=svc-row]`);
  assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page');
  assert.match(await page.textContent(`${bedrock} [data-testid=svc-expiry]`), /\(in 30 days\)/);
  assert.match(await page.textContent(`${bedrock} [data-testid=svc-count]`), /1 of 2/);
  await ctx.close();
});

test('Keyspaces credentials: generated, then deleted by typing the user name', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'bob');
  await hydrated(page);
  const keyspaces = '[data-testid=svc-keyspaces]';
  assert.equal(await page.$(`${keyspaces} [data-testid=svc-days]`), null, 'Keyspaces credentials do not expire');
  await page.click(`${keyspaces} [data-testid=svc-generate]`);
  await page.waitForSelector('[data-testid=svc-secret]');
  const user = (await page.textContent('[data-testid=svc-new-public]')).trim();
  assert.match(user, /^bob-at-\d{12}$/);
  // Done before saving asks in the dialog; "Close anyway" closes it.
  await page.click('[data-testid=svc-done]');
  await page.click('[data-testid=secret-discard]');
  await page.waitForSelector('[data-testid=svc-secret]', { state: 'detached' });
  await page.waitForSelector(`${keyspaces} [data-testid=svc-row]`);
  await page.fill(`${keyspaces} [data-testid=svc-delete-confirm]`, 'not-it');
  await page.click(`${keyspaces} [data-testid=svc-delete]`);
  await page.waitForSelector(`${keyspaces} [role=alert]`);
  assert.match(await page.textContent(`${keyspaces} [role=alert]`), new RegExp(`Type the user name ${user}`));
  await page.fill(`${keyspaces} [data-testid=svc-delete-confirm]`, user);
  await page.click(`${keyspaces} [data-testid=svc-delete]`);
  await page.waitForSelector(`${keyspaces} [data-testid=svc-row]`, { state: 'detached' });
  await ctx.close();
});
