// The credentials page on the AWS backend (aws-sdk-iam + STS) talking to moto instead of the embedded
// IAM: the same browser flow must work. Runs when KEYDESK_TEST_MOTO_URL is set (.ci/test starts moto).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { startServer, launchBrowser, signIn, keydeskCli, deactivateAndDelete } from '../harness.mjs';

const moto = process.env.KEYDESK_TEST_MOTO_URL;
const ACCOUNT = '123456789012';
const PASSWORD = 'moto-browser-pass-1';
const user = `kd-e2e-${randomUUID().slice(0, 8)}`;

/// One IAM Query API call to moto. Moto routes on the credential scope and does not check signatures.
async function iam(action, params) {
  const body = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params });
  const res = await fetch(moto, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body,
  });
  const text = await res.text();
  if (!res.ok && !text.includes('EntityAlreadyExists')) throw new Error(`${action}: ${res.status} ${text}`);
  return text;
}

let server; let browser;
before(async () => {
  if (!moto) return;
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] });
  for (const role of ['keydesk-user', 'keydesk-helpdesk', 'keydesk-admin']) {
    await iam('CreateRole', { RoleName: role, AssumeRolePolicyDocument: trust });
  }
  await iam('CreateUser', { UserName: user });
  const aws = ['--iam-backend', 'aws',
    '--aws-user-role-arn', `arn:aws:iam::${ACCOUNT}:role/keydesk-user`,
    '--aws-helpdesk-role-arn', `arn:aws:iam::${ACCOUNT}:role/keydesk-helpdesk`,
    '--aws-admin-role-arn', `arn:aws:iam::${ACCOUNT}:role/keydesk-admin`,
    '--iam-endpoint', moto, '--sts-endpoint', moto];
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = 'us-east-1';
  server = await startServer(aws, {
    demo: false,
    before: (dir) => keydeskCli(dir, [...aws, 'user', 'add', user, '--display-name', 'Moto Browser'], `${PASSWORD}\n`),
  });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

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
