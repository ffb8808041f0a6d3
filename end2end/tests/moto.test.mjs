// The credentials page on the AWS backend (aws-sdk-iam + STS) talking to moto instead of the embedded
// IAM: the same browser flow must work. Runs when KEYDESK_TEST_MOTO_URL is set (.ci/test starts moto).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { startServer, launchBrowser, signIn, keydeskCli, deactivateAndDelete, motoIam, motoBackend, tearDown } from '../harness.mjs';

const moto = process.env.KEYDESK_TEST_MOTO_URL;
const PASSWORD = 'moto-browser-pass-1';
const user = `kd-e2e-${randomUUID().slice(0, 8)}`;

let server; let browser;
before(async () => {
  if (!moto) return;
  await motoIam(moto, 'CreateUser', { UserName: user });
  const aws = await motoBackend(moto);
  server = await startServer(aws, {
    demo: false,
    before: (dir) => keydeskCli(dir, [...aws, 'user', 'add', user, '--display-name', 'Moto Browser'], `${PASSWORD}\n`),
  });
  browser = await launchBrowser();
});
after(() => tearDown(browser, server));

test('AWS backend on moto: create a key, download its CSV, deactivate and delete it', { skip: !moto && 'KEYDESK_TEST_MOTO_URL not set' }, async () => {
  const ctx = await browser.newContext({ acceptDownloads: true });
  const page = await ctx.newPage();
  await signIn(page, server.url, user, { password: PASSWORD });
  assert.equal(await page.locator('[data-testid=demo-badge]').count(), 0, 'no demo badge on the AWS backend');
  assert.equal((await page.textContent('[data-testid=iam-user]')).trim(), user);
  await page.waitForSelector('text=0 of 2 access keys used');

  await page.click('[data-testid=create-key] summary');
  await page.fill('#key-description', 'moto key');
  await page.click('[data-testid=create-key] button[type=submit]');
  await page.waitForSelector('[data-testid=secret-view]');
  const id = (await page.textContent('[data-testid=new-key-id]')).trim();
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=key-download]')]);
  assert.equal(download.suggestedFilename(), `${user}_accessKeys.csv`);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv, new RegExp(`^Access key ID,Secret access key\\r\\n${id},"?[^,\\r\\n]{40}"?\\r\\n$`));
  await page.click('[data-testid=key-done]');
  await page.waitForSelector('text=1 of 2 access keys used');
  assert.ok((await page.content()).includes('moto key'), 'the description tag round-trips through moto');

  await deactivateAndDelete(page, id);
  await page.waitForSelector('text=0 of 2 access keys used');
  await ctx.close();
});
