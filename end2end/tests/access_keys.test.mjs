// Access keys in a real browser: the create wizard, the one-time secret and its CSV, the secret gone
// after a reload, deactivate then delete — and delete with JavaScript off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, signIn, hydrated, deactivateAndDelete } from '../harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('JS on: create a key, save the secret once, then deactivate and delete it', async () => {
  const ctx = await browser.newContext({ acceptDownloads: true });
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept());
  await signIn(page, server.url, 'alice');
  await page.waitForSelector('text=1 of 2 access keys used');

  await page.click('[data-testid=create-key] summary');
  await page.check('input[value=local-code]');
  assert.match(await page.textContent('[data-testid=alternative]:visible'), /IDE toolkit/);
  assert.equal(await page.locator('[data-testid=alternative]:visible code').first().textContent(), 'aws configure sso', 'commands are code, not backticks');
  await page.fill('#key-description', 'e2e key');
  await page.click('[data-testid=create-key] button[type=submit]');
  await page.waitForSelector('[data-testid=secret-view]');
  const id = (await page.textContent('[data-testid=new-key-id]')).trim();
  assert.match(id, /^AKIA[A-Z2-7]{16}$/);
  assert.match(await page.textContent('[data-testid=new-key-secret]'), /^•{40}$/, 'hidden until asked');
  await page.click('[data-testid=secret-view] >> text=Show');
  const secret = (await page.textContent('[data-testid=new-key-secret]')).trim();
  assert.equal(secret.length, 40);
  assert.ok((await page.textContent('[data-testid=secret-view]')).includes(`aws_secret_access_key = ${secret}`));
  // Snippet titles are paths, shown as written; each snippet copies on its own and says so.
  const captions = await page.locator('[data-testid=secret-view] figcaption').allInnerTexts();
  assert.ok(captions.some((c) => c.includes('~/.aws/credentials')), `captions: ${captions}`);
  const snippetCopy = page.locator('[data-testid=secret-view] figcaption [data-testid=copy]').first();
  await snippetCopy.click();
  await page.waitForFunction(() => document.querySelector('[data-testid=secret-view] figcaption [data-testid=copy]')?.textContent.trim() === 'Copied');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  assert.equal(download.suggestedFilename(), 'alice_accessKeys.csv');
  const csv = readFileSync(await download.path(), 'utf8');
  const cell = (v) => (/^[=+\-@]/.test(v) ? `"${v}"` : v);
  assert.equal(csv, `Access key ID,Secret access key\r\n${id},${cell(secret)}\r\n`);

  await page.click('[data-testid=close-secret]');
  await page.waitForSelector('[data-testid=secret-gone]');
  await page.reload();
  await page.waitForSelector('text=2 of 2 access keys used');
  const html = await page.content();
  assert.ok(html.includes(id) && html.includes('e2e key'));
  assert.ok(!html.includes(secret), 'the secret is gone for good after a reload');
  assert.match(await page.textContent('[data-testid=create-key] summary'), /unavailable: you already have 2 keys/);

  await deactivateAndDelete(page, id);
  await page.waitForSelector('text=1 of 2 access keys used');
  assert.equal(await page.locator(`text=${id}`).count(), 0);
  await ctx.close();
});

test('JS on: leaving an unsaved secret asks first, a saved one does not', async () => {
  const ctx = await browser.newContext({ acceptDownloads: true });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'carol');
  await page.click('[data-testid=create-key] summary');
  await page.click('[data-testid=create-key] button[type=submit]');
  await page.waitForSelector('[data-testid=secret-view]');
  // What the browser does before unloading: a cancelable beforeunload event; cancelled = "ask first".
  const leaving = () => page.evaluate(() => {
    const e = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented;
  });
  assert.equal(await leaving(), true, 'unsaved secret: the browser asks');
  await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  assert.equal(await leaving(), false, 'downloaded: leaving is fine');
  await ctx.close();
});

test('JS off: deactivate a key (the one carol left unsaved above)', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'carol', { js: false });
  await page.waitForSelector('text=1 of 2 access keys used');
  const row = page.locator('[data-testid=access-key-row]').first();
  assert.match(await row.textContent(), /Active/);
  await Promise.all([page.waitForNavigation(), row.locator('[data-testid=toggle-key]').click()]);
  await page.waitForSelector('[data-testid=access-key-row] >> text=Inactive');
  assert.ok(await page.isVisible('[data-testid=access-key-row] >> text=Activate'));
  await ctx.close();
});

test('JS off: delete an inactive key by typing its id', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'bob', { js: false });
  await page.waitForSelector('text=2 of 2 access keys used');
  const row = page.locator('[data-testid=access-key-row]', { hasText: 'Inactive' });
  const id = (await row.locator('td').first().textContent()).trim();
  await row.locator('[data-testid=delete-confirm]').fill(id);
  await Promise.all([page.waitForNavigation(), row.locator('[data-testid=delete-key]').click()]);
  await page.waitForSelector('text=1 of 2 access keys used');
  assert.equal(await page.locator(`text=${id}`).count(), 0);
  await ctx.close();
});

test('JS off: create a key; the answer is the one-time page, and it is gone afterwards', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'bob', { js: false });
  await page.waitForSelector('text=1 of 2 access keys used');
  await page.click('[data-testid=create-key] summary');
  // The advice follows the chosen use case without JavaScript too.
  assert.match(await page.textContent('[data-testid=alternative]:visible'), /aws configure sso/);
  await page.check('input[value=aws-compute]');
  assert.match(await page.textContent('[data-testid=alternative]:visible'), /IAM role/);
  await page.fill('#key-description', 'no-js key');
  const [answer] = await Promise.all([
    page.waitForNavigation(),
    page.click('[data-testid=create-key] button[type=submit]'),
  ]);
  assert.equal(answer.headers()['cache-control'], 'no-store');
  assert.equal(new URL(page.url()).pathname, '/access-keys/new');
  const id = (await page.textContent('[data-testid=new-key-id]')).trim();
  assert.match(id, /^AKIA[A-Z2-7]{16}$/);
  assert.equal(await page.isVisible('[data-testid=new-key-secret]'), false, 'hidden until asked');
  await page.click('[data-testid=secret-view] summary >> text=Show');
  const secret = (await page.textContent('[data-testid=new-key-secret]')).trim();
  assert.equal(secret.length, 40);
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=close-secret]')]);
  await page.waitForSelector('text=2 of 2 access keys used');
  const html = await page.content();
  assert.ok(html.includes(id) && html.includes('no-js key') && !html.includes(secret));
  await page.goto(`${server.url}/access-keys/new`);
  await page.waitForSelector('[data-testid=secret-gone]');
  assert.ok(!(await page.content()).includes(secret));
  await ctx.close();
});

test('JS on: rotate without downtime, step by step', async () => {
  const ctx = await browser.newContext({ acceptDownloads: true });
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept());
  await signIn(page, server.url, 'dave');
  await page.waitForSelector('text=1 of 2 access keys used');
  const old = (await page.locator('[data-testid=access-key-row] td').first().textContent()).trim();
  await page.click('[data-testid=rotate-key]');
  await page.waitForSelector('[data-testid=rotation]');
  assert.match(await page.textContent('[data-testid=rotation] [aria-current=step]'), /1\. Create a new access key/);

  await page.click('[data-testid=create-key] summary');
  await page.click('[data-testid=create-key] button[type=submit]');
  await page.waitForSelector('[data-testid=secret-view]');
  await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
  await page.click('[data-testid=close-secret]');
  await page.waitForSelector('[data-testid=rotation] [aria-current=step] >> text=2. Update your applications');

  await page.click('[data-testid=rotate-watched]');
  await page.waitForSelector('[data-testid=rotation] [aria-current=step] >> text=3. Deactivate the old key');
  await page.click('[data-testid=rotate-deactivate]');
  await page.waitForSelector('[data-testid=rotation] [aria-current=step] >> text=4. Check that nothing broke');
  await page.click('[data-testid=rotate-verified]');
  await page.waitForSelector('[data-testid=rotation] [aria-current=step] >> text=5. Delete the old key');
  await page.fill('[data-testid=rotate-delete-confirm]', old);
  await page.click('[data-testid=rotate-delete]');
  await page.waitForSelector('text=Rotation complete');
  await page.reload();
  await page.waitForSelector('text=Rotation complete');
  assert.equal(await page.locator(`[data-testid=access-key-row] >> text=${old}`).count(), 0);
  await page.waitForSelector('text=1 of 2 access keys used');
  // Closing the guide brings the rows' Rotate link back at once, without a reload.
  await hydrated(page);
  await page.click('[data-testid=rotate-close]');
  await page.waitForSelector('[data-testid=rotation]', { state: 'detached' });
  await page.waitForSelector('[data-testid=rotate-key]');
  await ctx.close();
});
