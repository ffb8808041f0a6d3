// The account password policy editor: live field checks and CIS verdicts (WASM), save, and the
// employee's checklist following the new policy on the next load; JavaScript off: the recommended
// values filled in by the server, saved by the plain form; delete with confirmation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signIn, hydrated, tearDown } from '../harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(() => tearDown(browser, server));

const unmet = (page) => page.$$eval('[data-testid=password-checklist] li[data-met=false]', (els) => els.map((e) => e.textContent.trim()));

test('an admin tightens the policy and the employee checklist follows it', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'dave');
  await page.goto(`${server.url}/settings`);
  await hydrated(page);
  assert.match(await page.textContent('[data-testid=policy-status]'), /custom policy is set/);
  assert.equal(await page.getAttribute('[data-testid=cis-minimum_length]', 'data-met'), 'true');

  await page.fill('[data-testid=policy-minimum_length]', '5');
  assert.equal(await page.textContent('[data-testid=error-minimum_length]'), "The minimum length must be between 6 and 128 (IAM's limits), not 5.");
  assert.equal(await page.isDisabled('[data-testid=policy-save]'), true);
  await page.fill('[data-testid=policy-reuse_prevention]', '3');
  assert.equal(await page.getAttribute('[data-testid=cis-reuse_prevention]', 'data-met'), 'false', 'a verdict while another field is wrong');
  await page.click('[data-testid=apply-cis]');
  assert.equal(await page.inputValue('[data-testid=policy-minimum_length]'), '14');
  assert.equal(await page.inputValue('[data-testid=policy-reuse_prevention]'), '24');
  assert.equal(await page.textContent('[data-testid=error-minimum_length]'), '');

  await page.fill('[data-testid=policy-minimum_length]', '20');
  await page.click('[data-testid=policy-save]');
  await page.waitForSelector('[data-testid=policy-saved]');
  assert.match(await page.textContent('[data-testid=policy-saved]'), /Minimum length 14 characters → 20 characters/);

  const alice = await (await browser.newContext()).newPage();
  await signIn(alice, server.url, 'alice');
  await alice.click('[data-testid=change-password] summary');
  await alice.fill('#new-password', 'Granite-Tulip-42!');
  assert.deepEqual(await unmet(alice), ['○ At least 20 characters']);
  await ctx.close();
});

test('JavaScript off: recommended values filled in by the server, saved; then deleted with confirmation', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'dave', { js: false });
  await page.goto(`${server.url}/settings?recommended=1`);
  assert.equal(await page.inputValue('[data-testid=policy-minimum_length]'), '14');
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=policy-save]')]);
  await page.goto(`${server.url}/settings`);
  assert.equal(await page.inputValue('[data-testid=policy-minimum_length]'), '14', 'saved');

  await page.check('[data-testid=policy-delete-confirm]');
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=policy-delete]')]);
  await page.goto(`${server.url}/settings`);
  assert.match(await page.textContent('[data-testid=policy-status]'), /IAM's default applies/);
  assert.equal(await page.locator('[data-testid=policy-delete]').count(), 0);
  await ctx.close();
});

test('entitlements by group: only developers manage access keys; others see whom to ask', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'dave');
  await page.goto(`${server.url}/settings`);
  await hydrated(page);
  await page.fill('[data-testid=new-group]', 'not a group!');
  assert.match(await page.textContent('[data-testid=error-new-group]'), /1 to 128 letters/);
  assert.equal(await page.isDisabled('[data-testid=entitlements-save]'), true);
  await page.fill('[data-testid=new-group]', 'developers');
  for (const cap of ['password', 'access-keys', 'mfa', 'git', 'ssh', 'certificates', 'services']) await page.check(`[data-testid="grant-+-${cap}"]`);
  for (const cap of ['access-keys', 'git', 'ssh']) await page.uncheck(`[data-testid="grant-*-${cap}"]`);
  await page.fill('[data-testid=entitlements-ask]', 'the IT help desk (#it-help)');
  await page.click('[data-testid=entitlements-save]');
  await page.waitForSelector('[data-testid=entitlements-saved]');
  assert.match(await page.textContent('[data-testid=entitlements-saved]'), /Group developers added/);
  await page.waitForSelector('[data-testid=row-developers]');
  assert.equal(await page.isChecked('[data-testid="grant-developers-access-keys"]'), true, 'the saved table shows the new row');
  assert.equal(await page.isChecked('[data-testid="grant-*-access-keys"]'), false);
  assert.equal(await page.locator('[data-testid=entitlements-warning]').count(), 0, 'developers is a group in IAM');
  // A group IAM does not have is saved as asked, with a warning that it grants nobody anything.
  await page.fill('[data-testid=new-group]', 'contractors');
  await page.check('[data-testid="grant-+-mfa"]');
  await page.click('[data-testid=entitlements-save]');
  await page.waitForSelector('[data-testid=entitlements-warning]');
  assert.match(await page.textContent('[data-testid=entitlements-warning]'), /No such IAM group: contractors — nobody gets these rights yet/);

  // Carol (group it) may not manage access keys or CodeCommit credentials: she is told whom to ask.
  const carol = await (await browser.newContext()).newPage();
  await signIn(carol, server.url, 'carol');
  await hydrated(carol);
  const note = await carol.textContent('[data-testid=managed-access-keys]');
  assert.match(note, /Your access keys are managed by your administrators.*Ask the IT help desk \(#it-help\)/);
  await carol.waitForSelector('[data-testid=managed-git]');
  await carol.waitForSelector('[data-testid=managed-ssh]');
  assert.equal(await carol.locator('[data-testid=managed-mfa]').count(), 0, 'MFA stays hers');
  assert.equal(await carol.locator('[data-testid=create-key]').count(), 0, 'no button that would fail');

  // Alice (group developers) keeps every section.
  const alice = await (await browser.newContext()).newPage();
  await signIn(alice, server.url, 'alice');
  await alice.waitForSelector('[data-testid=access-key-row]');
  assert.equal(await alice.locator('[data-testid^=managed-]').count(), 0);

  // Back to everyone managing everything, for the other tests.
  await page.check('[data-testid=remove-developers]');
  for (const cap of ['access-keys', 'git', 'ssh']) await page.check(`[data-testid="grant-*-${cap}"]`);
  await page.click('[data-testid=entitlements-save]');
  await page.waitForSelector('[data-testid=entitlements-saved] >> text=Group developers removed');
  await ctx.close();
});
