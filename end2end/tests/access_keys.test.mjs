// Access keys in a real browser: the create wizard, the one-time secret and its CSV, the secret gone
// after a reload, deactivate then delete — and delete with JavaScript off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, signIn, hydrated, deactivateAndDelete, confirmInPage, keydeskCli, tearDown } from '../harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(() => tearDown(browser, server));

test('JS on: create a key, save the secret once, then deactivate and delete it', async () => {
  const ctx = await browser.newContext({ acceptDownloads: true });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'alice');
  await page.waitForSelector('text=1 of 2 access keys used');

  await page.click('[data-testid=create-key] summary');
  await page.check('input[value=local-code]');
  assert.match(await page.textContent('[data-testid=alternative]:visible'), /IDE toolkit/);
  assert.equal(await page.locator('[data-testid=alternative]:visible code').first().textContent(), 'aws configure sso', 'commands are code, not backticks');
  await page.fill('#key-description', 'e2e key');
  await page.click('[data-testid=create-key] button[type=submit]');
  await page.waitForSelector('[data-testid=secret-view]');
  // One dialog for every secret: modal (the page behind is inert, so focus stays inside).
  assert.equal(await page.evaluate(() => document.querySelector('[data-testid=secret-view]').matches('dialog:modal')), true);
  for (let i = 0; i < 12; i += 1) {
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=secret-view]')), true, `Tab ${i + 1} left the dialog`);
  }
  const id = (await page.textContent('[data-testid=new-key-id]')).trim();
  assert.match(id, /^AKIA[A-Z2-7]{16}$/);
  assert.match(await page.textContent('[data-testid=new-key-secret]'), /^•{40}$/, 'hidden until asked');
  // Esc before the secret is saved asks inside the dialog, and "Keep it open" keeps it.
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=secret-unsaved]');
  await page.click('[data-testid=secret-keep]');
  await page.waitForSelector('[data-testid=secret-unsaved]', { state: 'detached' });
  assert.ok(await page.isVisible('[data-testid=new-key-id]'), 'still open');
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

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=key-download]')]);
  assert.equal(download.suggestedFilename(), 'alice_accessKeys.csv');
  const csv = readFileSync(await download.path(), 'utf8');
  const cell = (v) => (/^[=+\-@]/.test(v) ? `"${v}"` : v);
  assert.equal(csv, `Access key ID,Secret access key\r\n${id},${cell(secret)}\r\n`);

  // Saved: Esc closes at once.
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=secret-view]', { state: 'detached' });
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
  await Promise.all([page.waitForEvent('download'), page.click('[data-testid=key-download]')]);
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
  // The in-page confirmation works without JavaScript: it opens, says what breaks, and only its own
  // button acts.
  await row.locator('[data-testid=toggle-key]').click();
  assert.match(await row.locator('[data-testid=confirm-consequence]').textContent(), /stops working at once: it was never used/);
  assert.match(await row.textContent(), /Active/, 'opening the confirmation changed nothing');
  await Promise.all([page.waitForNavigation(), row.locator('[data-testid=toggle-key-confirm]').click()]);
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
  const ctx = await browser.newContext({ javaScriptEnabled: false, acceptDownloads: true });
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
  // The console's .csv without JavaScript: the page posts what it shows and gets the file back.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=key-download]')]);
  assert.equal(download.suggestedFilename(), 'bob_accessKeys.csv');
  assert.equal(readFileSync(await download.path(), 'utf8'), `Access key ID,Secret access key\r\n${id},${/^[=+\-@]/.test(secret) ? `"${secret}"` : secret}\r\n`);
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=close-secret]')]);
  await page.waitForSelector('text=2 of 2 access keys used');
  const html = await page.content();
  assert.ok(html.includes(id) && html.includes('no-js key') && !html.includes(secret));
  await page.goto(`${server.url}/access-keys/new`);
  await page.waitForSelector('[data-testid=secret-gone]');
  assert.ok(!(await page.content()).includes(secret));
  await ctx.close();
});

test('JS on: rotate without downtime, step by step, creating the new key inside the guide', async () => {
  const ctx = await browser.newContext({ acceptDownloads: true });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'dave');
  await page.waitForSelector('text=1 of 2 access keys used');
  const old = (await page.locator('[data-testid=access-key-row] td').first().textContent()).trim();
  await page.click('[data-testid=rotate-key]');
  await page.waitForSelector('[data-testid=rotation]');
  assert.match(await page.textContent('[data-testid=rotation] [aria-current=step]'), /1\. Create a new access key/);
  assert.doesNotMatch(await page.textContent('[data-testid=rotation]'), /below/, 'step 1 acts in the guide itself');

  await hydrated(page);
  await page.click('[data-testid=rotate-create]');
  await page.waitForSelector('[data-testid=secret-view]');
  const created = (await page.textContent('[data-testid=new-key-id]')).trim();
  // The guide names the new key in its address as soon as it exists, under the open dialog.
  await page.waitForURL((u) => u.searchParams.get('new') === created);
  await Promise.all([page.waitForEvent('download'), page.click('[data-testid=key-download]')]);
  await page.click('[data-testid=key-done]');
  await page.waitForSelector('[data-testid=rotation] [aria-current=step] >> text=2. Update your applications');
  assert.match(await page.textContent('[data-testid=access-key-row]:has-text("' + created + '")'), new RegExp(`replaces ${old}`));

  // Last use is read again without a reload; an old key used after the new one was made is flagged.
  assert.equal(await page.locator('[data-testid=rotate-still-used]').count(), 0);
  const navigations = [];
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
  await keydeskCli(server.dir, ['simulate', 'key-use', old, '--service', 's3', '--region', 'eu-west-1']);
  await page.click('[data-testid=rotate-check]');
  await page.waitForSelector('[data-testid=rotate-still-used]');
  assert.match(await page.textContent('[data-testid=old-last-used]'), /used just now by s3 in eu-west-1/);
  assert.match(await page.textContent('[data-testid=rotate-watched]'), /Continue anyway/);
  assert.deepEqual(navigations, [], 'checked without a reload');

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
  // (The new key's description names the old one: look at the id cells.)
  assert.equal(await page.locator('[data-testid=access-key-row] td:first-child', { hasText: old }).count(), 0);
  await page.waitForSelector('text=1 of 2 access keys used');
  // Closing the guide brings the rows' Rotate link back at once, without a reload.
  await hydrated(page);
  await page.click('[data-testid=rotate-close]');
  await page.waitForSelector('[data-testid=rotation]', { state: 'detached' });
  await page.waitForSelector('[data-testid=rotate-key]');
  await ctx.close();
});

test('rotation: a second key that already exists is the replacement only when the person says so', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'dave');
  await page.waitForSelector('text=1 of 2 access keys used');
  const old = (await page.locator('[data-testid=access-key-row] td').first().textContent()).trim();
  // A key for something else, made outside the guide.
  await page.click('[data-testid=create-key] summary');
  await page.fill('#key-description', 'backup job');
  await page.click('[data-testid=create-key] button[type=submit]');
  await page.waitForSelector('[data-testid=secret-view]');
  const other = (await page.textContent('[data-testid=new-key-id]')).trim();
  // Closed without saving: the dialog asks, in the page, and "Close anyway" closes.
  await page.click('[data-testid=key-done]');
  await page.click('[data-testid=secret-discard]');
  await page.waitForSelector('[data-testid=secret-view]', { state: 'detached' });
  await page.goto(`${server.url}/?rotate=${old}`);
  await page.waitForSelector('[data-testid=rotate-choose]');
  assert.match(await page.textContent('[data-testid=rotation]'), new RegExp(`another active key, ${other}`));
  assert.match(await page.textContent('[data-testid=rotation] [aria-current=step]'), /1\. Create a new access key/, 'no step is skipped unasked');
  await page.click('[data-testid=rotate-choose]');
  await page.waitForSelector('[data-testid=rotation] [aria-current=step] >> text=2. Update your applications');
  assert.equal(new URL(page.url()).searchParams.get('new'), other);
  await ctx.close();
});

test('JS off: step 1 of the guide creates the key, and the one-time page leads back to step 2', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'alice', { js: false });
  await page.waitForSelector('text=1 of 2 access keys used');
  const old = (await page.locator('[data-testid=access-key-row] td').first().textContent()).trim();
  await page.goto(`${server.url}/?rotate=${old}`);
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=rotate-create]')]);
  assert.equal(new URL(page.url()).pathname, '/access-keys/new');
  const created = (await page.textContent('[data-testid=new-key-id]')).trim();
  assert.match(await page.textContent('[data-testid=close-secret]'), /back to the rotation guide/);
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=close-secret]')]);
  assert.equal(new URL(page.url()).searchParams.get('new'), created);
  // Without JavaScript this page is what the server rendered: waiting cannot change it, so say what it
  // showed. (It once showed "Loading your credentials…": a resource inside the page's <Transition>,
  // fixed and tested in server/tests/http/access_keys.rs.)
  const step2 = page.locator('[data-testid=rotation] [aria-current=step] >> text=2. Update your applications');
  if (!(await step2.count())) {
    const shown = await page.locator('main').innerText();
    assert.fail(`step 2 not shown for ${page.url()} (old ${old}, created ${created}); the page said:\n${shown.slice(0, 1500)}`);
  }
  // Without JavaScript "Check again" is a link to the same step.
  assert.equal(await page.getAttribute('[data-testid=rotate-check]', 'href'), `/?rotate=${old}&new=${created}`);
  await ctx.close();
});
