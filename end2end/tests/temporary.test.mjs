// Temporary credentials in the browser: the demo's roles on the embedded IAM (with and without
// JavaScript), and on the AWS backend against moto, where boto3 — a client keydesk did not write —
// signs with the credentials-file block the page gave and STS names the person's session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startServer, launchBrowser, signIn, hydrated, keydeskCli, motoIam, motoBackend, MOTO_ACCOUNT as ACCOUNT, tearDown } from '../harness.mjs';

let server; let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(() => tearDown(browser, server));

/// Issue credentials for the role `role` from the credentials page; returns the dialog.
async function issue(page, role) {
  await page.click(`[data-role=${role}] [data-testid=work-role-issue]`);
  const dialog = page.locator('[data-testid=temp-secret-view]');
  await dialog.waitFor();
  return dialog;
}

test('alice gets an hour of Read-only and the export lines, shown once', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'alice');
  await hydrated(page);
  const roles = await page.locator('[data-testid=work-role]').evaluateAll((rows) => rows.map((r) => r.dataset.role));
  assert.deepEqual(roles, ['read-only', 'developer'], 'alice (developers) may use Read-only and Developer, not Billing');
  assert.equal(await page.locator('[data-role=read-only] [data-testid=work-role-duration]').inputValue(), '3600', 'an hour by default');
  const dialog = await issue(page, 'read-only');
  const id = (await page.textContent('[data-testid=temp-key-id]')).trim();
  assert.match(id, /^ASIA[A-Z2-7]{16}$/);
  assert.match(await dialog.innerText(), /Read-only for 1 hour/);
  assert.match(await page.textContent('[data-testid=temp-expiry]'), /Expires .* UTC \(.* your time\) — in 1 hour\./);
  await page.locator('[data-testid=temp-show]').first().click();
  const exports = await dialog.locator('figure:has(figcaption:has-text("bash / zsh")) pre').textContent();
  assert.match(exports, new RegExp(`^export AWS_ACCESS_KEY_ID='${id}'\\nexport AWS_SECRET_ACCESS_KEY='[A-Za-z0-9+/]{40}'\\nexport AWS_SESSION_TOKEN='[^']+'$`));
  // Done before copying asks first; closing anyway forgets the session.
  await page.click('[data-testid=temp-done]');
  await page.click('[data-testid=secret-discard]');
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await page.content()).includes(id), false, 'the session is gone from the page');
  await ctx.close();
});

test('without JavaScript the form answers with the one-time page', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'alice', { js: false });
  await page.selectOption('[data-role=developer] [data-testid=work-role-duration]', '900');
  await page.click('[data-role=developer] [data-testid=work-role-issue]');
  await page.waitForSelector('[data-testid=temp-secret-view]');
  assert.match((await page.textContent('[data-testid=temp-key-id]')).trim(), /^ASIA/);
  assert.match(await page.textContent('[data-testid=temp-secret-view] h2'), /Developer for 15 minutes/);
  await page.goto(`${server.url}/temporary-credentials/new`);
  assert.ok(await page.locator('[data-testid=secret-gone]').isVisible(), 'nothing to show again');
  await ctx.close();
});

test('the profile name is the person\'s, and new credentials for the same role are one press away', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'alice');
  await hydrated(page);
  const dialog = await issue(page, 'read-only');
  const first = (await page.textContent('[data-testid=temp-key-id]')).trim();
  await page.locator('[data-testid=temp-show]').first().click();
  await page.fill('[data-testid=temp-profile]', 'work ro');
  const block = dialog.locator('figure:has(figcaption:has-text("~/.aws/credentials")) pre');
  assert.match(await block.textContent(), /^\[work-ro\]\naws_access_key_id = ASIA/, 'the block follows the name, cleaned');
  assert.match(await dialog.innerText(), /aws --profile work-ro/);
  await page.click('[data-testid=temp-again]');
  await page.waitForFunction((old) => {
    const el = document.querySelector('[data-testid=temp-key-id]');
    return el && el.textContent.trim().startsWith('ASIA') && el.textContent.trim() !== old;
  }, first);
  assert.match(await page.textContent('[data-testid=temp-secret-view] h2'), /Read-only for 1 hour/, 'the same role and duration');
  await ctx.close();
});

test('an administrator sets up Identity Center; botocore reads the config alice is given', async () => {
  const admin = await browser.newContext();
  const page = await admin.newPage();
  await signIn(page, server.url, 'dave');
  await page.goto(`${server.url}/settings#work-roles`);
  await hydrated(page);
  const row = page.locator('[data-testid=catalogue-role][data-role=developer]');
  await row.locator('summary').click();
  await row.locator('[data-testid=wr-sso_account_id]').fill('111122223333');
  await row.locator('[data-testid=wr-sso_role_name]').fill('DeveloperAccess');
  await row.locator('[data-testid=save-work-role]').click();
  assert.match(await page.locator('[data-testid=work-roles-saved]').textContent(), /Saved Developer: Identity Center/);
  await page.fill('[data-testid=ic-start_url]', 'https://d-1234567890.awsapps.com/start');
  await page.fill('[data-testid=ic-region]', 'eu-west-1');
  await page.click('[data-testid=save-identity-center]');
  await page.locator('[data-testid=work-roles-saved]:has-text("Identity Center saved")').waitFor();
  await admin.close();

  const ctx = await browser.newContext();
  const alice = await ctx.newPage();
  await signIn(alice, server.url, 'alice');
  await hydrated(alice);
  await alice.click('[data-testid=sso-setup] summary');
  const config = await alice.textContent('[data-testid=sso-config]');
  assert.equal((await alice.textContent('[data-testid=sso-login]')).trim(), 'aws sso login --profile developer');
  const scratch = mkdtempSync(join(tmpdir(), 'keydesk-sso-'));
  try {
    writeFileSync(join(scratch, 'config'), config);
    const parsed = JSON.parse(execFileSync('.venv/bin/python', ['-c', `
import json, sys, botocore.configloader
print(json.dumps(botocore.configloader.load_config(sys.argv[1])))`, join(scratch, 'config')]).toString());
    assert.deepEqual(parsed.sso_sessions, { keydesk: { sso_start_url: 'https://d-1234567890.awsapps.com/start', sso_region: 'eu-west-1', sso_registration_scopes: 'sso:account:access' } });
    assert.deepEqual(parsed.profiles, { developer: { sso_session: 'keydesk', sso_account_id: '111122223333', sso_role_name: 'DeveloperAccess', region: 'eu-west-1', output: 'json' } });
    console.log(`identity center: botocore read ${Object.keys(parsed.profiles).length} profile(s) and ${Object.keys(parsed.sso_sessions).length} sso-session from the page`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  await ctx.close();
});

test('the access-key wizard offers temporary credentials instead, for the CLI and local code', async () => {
  for (const js of [true, false]) {
    const ctx = await browser.newContext({ javaScriptEnabled: js });
    const page = await ctx.newPage();
    await signIn(page, server.url, 'alice', { js });
    if (js) await hydrated(page);
    await page.click('[data-testid=create-key] summary');
    const instead = page.locator('[data-testid=temporary-instead]:visible');
    assert.match(await instead.textContent(), /You may use Read-only, Developer/, `with JavaScript ${js ? 'on' : 'off'}`);
    assert.equal(await instead.locator('a').getAttribute('href'), '#temporary-credentials');
    await page.check('input[name=use_case_ui][value=aws-compute]');
    assert.equal(await page.locator('[data-testid=temporary-instead]:visible').count(), 0, 'not for code on AWS compute: a role serves there');
    await ctx.close();
  }
});

test('the help desk opens a pasted ASIA key id and revokes the person\'s sessions', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'bob');
  await hydrated(page);
  await issue(page, 'read-only');
  const id = (await page.textContent('[data-testid=temp-key-id]')).trim();
  await ctx.close();
  const deskCtx = await browser.newContext();
  const desk = await deskCtx.newPage();
  await signIn(desk, server.url, 'carol');
  await desk.goto(`${server.url}/helpdesk?q=${id}`);
  await hydrated(desk);
  assert.match(await desk.textContent('[data-testid=desk-temporary-found]'), new RegExp(`${id} is a session of Read-only .* keydesk issued to bob`));
  assert.equal(await desk.locator('[data-testid=desk-user]').count(), 0, 'a temporary key is not an IAM user\'s case');
  await desk.fill('[data-testid=desk-case] [data-testid=desk-reason]', 'laptop stolen, ticket 4711');
  await desk.click('[data-testid=desk-revoke]');
  assert.match(await desk.locator('[data-testid=desk-revoked]').textContent(), /Revoked for Read-only: AWS refuses their earlier sessions within minutes/);
  await desk.goto(`${server.url}/helpdesk?q=ASIAAAAAAAAAAAAAAAAA`);
  await desk.locator('[role=alert]:has-text("keydesk did not issue ASIAAAAAAAAAAAAAAAAA")').waitFor();
  await deskCtx.close();
});

const moto = process.env.KEYDESK_TEST_MOTO_URL;
test('AWS backend on moto: boto3 signs with the credentials-file block as the person', { skip: !moto && 'KEYDESK_TEST_MOTO_URL not set' }, async () => {
  const user = `kd-temp-${randomUUID().slice(0, 8)}`;
  const roleName = `Work-${randomUUID().slice(0, 8)}`;
  const password = 'moto-temporary-pass-1';
  const aws = await motoBackend(moto);
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'] }] });
  await motoIam(moto, 'CreateRole', { RoleName: roleName, AssumeRolePolicyDocument: trust, MaxSessionDuration: '7200' });
  await motoIam(moto, 'CreateUser', { UserName: user });
  const onMoto = await startServer(aws, {
    demo: false,
    before: (dir) => keydeskCli(dir, [...aws, 'user', 'add', user, '--display-name', 'Moto Temporary'], `${password}\n`),
  });
  const scratch = mkdtempSync(join(tmpdir(), 'keydesk-boto3-'));
  try {
    // The catalogue, as an administrator's save leaves it: one role for every employee.
    const catalogue = JSON.stringify({ roles: [{ id: 'work', role_arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`, display_name: 'Work role', account_alias: 'moto', max_session_secs: 7200, portal_roles: ['employee'], iam_groups: [], sensitive: false, session_policy: null }] });
    execFileSync('python3', ['-c', `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO portal_settings (name, value, updated_at, updated_by) VALUES ('work_roles', ?, 0, 'test')", (sys.argv[2],))
db.commit()`, join(onMoto.dir, 'portal.db'), catalogue]);
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await signIn(page, onMoto.url, user, { password });
    await hydrated(page);
    const dialog = await issue(page, 'work');
    await page.locator('[data-testid=temp-show]').first().click();
    const block = await dialog.locator('figure:has(figcaption:has-text("~/.aws/credentials")) pre').textContent();
    assert.match(block, /^\[keydesk-work\]\naws_access_key_id = ASIA/);
    writeFileSync(join(scratch, 'credentials'), `${block}\n`);
    const arn = execFileSync('.venv/bin/python', ['-c', `
import sys, boto3
session = boto3.Session(profile_name="keydesk-work")
print(session.client("sts", endpoint_url=sys.argv[1], region_name="us-east-1").get_caller_identity()["Arn"])`, moto], {
      env: { PATH: process.env.PATH, AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'credentials'), AWS_CONFIG_FILE: join(scratch, 'config') },
    }).toString().trim();
    assert.equal(arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/keydesk-${user}`);
    console.log(`temporary credentials: boto3 signed with the page's credentials-file block as ${arn}`);
    await ctx.close();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await onMoto.stop();
  }
});
