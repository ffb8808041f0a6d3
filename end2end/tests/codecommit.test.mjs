// AWS CodeCommit credentials in Chromium: generate HTTPS Git credentials, download and check the CSV,
// reset the password, deactivate and delete; upload a real key made by ssh-keygen (from its file), see
// the fingerprint ssh-keygen prints, refuse a private key without keeping it, delete the key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, signIn, confirmInPage, tearDown } from '../harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(() => tearDown(browser, server));

function csvRow(line) {
  const cells = []; let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = ''; i++;
      while (i < line.length) { if (line[i] === '"' && line[i + 1] === '"') { v += '"'; i += 2; } else if (line[i] === '"') { i++; break; } else v += line[i++]; }
      cells.push(v); i++;
    } else { const end = line.indexOf(',', i); const stop = end < 0 ? line.length : end; cells.push(line.slice(i, stop)); i = stop + 1; }
  }
  return cells;
}

test('HTTPS Git credentials: generate, download the CSV, reset, deactivate, delete', async () => {
  const ctx = await browser.newContext({ acceptDownloads: true });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'alice');
  await page.click('[data-testid=git-generate]');
  await page.waitForSelector('[data-testid=git-secret]');
  const user = (await page.textContent('[data-testid=git-new-user]')).trim();
  assert.match(user, /^alice-at-\d{12}$/);
  assert.match(await page.textContent('[data-testid=git-new-password]'), /^•+$/, 'masked until asked');
  await page.click('[data-testid=git-show]');
  const password = (await page.textContent('[data-testid=git-new-password]')).trim();
  assert.ok(password.length >= 20, password);
  await page.fill('[data-testid=git-secret] input >> nth=1', 'MyDemoRepo');
  assert.equal((await page.textContent('[data-testid=git-clone]')).trim(), 'git clone https://git-codecommit.us-east-1.amazonaws.com/v1/repos/MyDemoRepo');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=git-download]')]);
  assert.equal(download.suggestedFilename(), 'alice_codecommit_credentials.csv');
  const lines = readFileSync(await download.path(), 'utf8').split('\r\n');
  assert.equal(lines[0], 'User Name,Password');
  assert.deepEqual(csvRow(lines[1]), [user, password]);
  await page.click('[data-testid=git-done]');
  await page.waitForSelector('[data-testid=git-secret]', { state: 'detached' });
  await page.waitForSelector(`[data-testid=git-row]:has-text("${user}")`);
  assert.ok(!(await page.content()).includes(password), 'the password is gone from the page');
  assert.match(await page.textContent('[data-testid=git-count]'), /1 of 2/);

  assert.match(await confirmInPage(page, 'git-reset'), new RegExp(`current password of ${user} stops working at once`));
  await page.waitForSelector('[data-testid=git-secret]');
  await page.click('[data-testid=git-show]');
  const second = (await page.textContent('[data-testid=git-new-password]')).trim();
  assert.notEqual(second, password, 'a new password');
  await Promise.all([page.waitForEvent('download'), page.click('[data-testid=git-download]')]);
  await page.click('[data-testid=git-done]');
  await page.waitForSelector('[data-testid=git-secret]', { state: 'detached' });
  await page.waitForLoadState('networkidle');

  await Promise.all([page.waitForResponse(/set_git_credential_status/), confirmInPage(page, 'git-toggle')]);
  await page.waitForSelector('[data-testid=git-row] >> text=Inactive');
  await page.fill('[data-testid=git-delete-confirm]', 'wrong');
  await page.click('[data-testid=git-delete]');
  await page.waitForSelector('#codecommit [role=alert]');
  assert.match(await page.textContent('#codecommit [role=alert]'), new RegExp(`Type the Git user name ${user}`));
  await page.fill('[data-testid=git-delete-confirm]', user);
  await page.click('[data-testid=git-delete]');
  await page.waitForSelector('[data-testid=git-row]', { state: 'detached' });
  assert.match(await page.textContent('[data-testid=git-count]'), /0 of 2/);
  await ctx.close();
});

test('SSH keys: a real ssh-keygen key from its file, the same fingerprint, private keys refused, delete', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keydesk-ssh-'));
  const key = join(dir, 'codecommit_rsa');
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '3072', '-N', '', '-C', 'e2e@keydesk', '-f', key]);
  const [bits, fingerprint] = execFileSync('ssh-keygen', ['-lf', `${key}.pub`], { encoding: 'utf8' }).trim().split(' ');
  assert.equal(bits, '3072');

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'bob');
  await page.click('[data-testid=ssh-upload] summary');

  // The private key, pasted or chosen by mistake, is recognised, cleared and never sent.
  let sent = false;
  page.on('request', (r) => { if (r.url().includes('/api/upload_ssh_key')) sent = true; });
  await page.fill('[data-testid=ssh-key-input]', readFileSync(key, 'utf8'));
  await page.waitForSelector('[data-testid=ssh-file-note]');
  assert.match(await page.textContent('[data-testid=ssh-file-note]'), /PRIVATE key/);
  assert.equal(await page.inputValue('[data-testid=ssh-key-input]'), '', 'cleared');
  await page.setInputFiles('[data-testid=ssh-key-file]', key);
  await page.waitForFunction(() => document.querySelector('[data-testid=ssh-file-note]')?.textContent.includes('not uploaded'));
  assert.equal(await page.inputValue('[data-testid=ssh-key-input]'), '');
  assert.equal(sent, false, 'nothing was sent');

  await page.fill('[data-testid=ssh-key-input]', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGHWYAQkq5bi7Ea4kJVwCVkDr8xUCGnR9y9xI3+/AcQr');
  assert.match(await page.textContent('[data-testid=ssh-preview-error]'), /ssh-ed25519 keys are not accepted/);
  assert.equal(await page.locator('[data-testid=ssh-file-note]').count(), 0, 'the private-key warning goes with the next input');
  assert.equal(await page.isDisabled('[data-testid=ssh-upload-submit]'), true);

  await page.setInputFiles('[data-testid=ssh-key-file]', `${key}.pub`);
  await page.waitForSelector('[data-testid=ssh-preview-sha256]');
  assert.equal((await page.textContent('[data-testid=ssh-preview-sha256]')).trim(), fingerprint);
  await page.click('[data-testid=ssh-upload-submit]');
  await page.waitForSelector('[data-testid=ssh-uploaded]');
  await page.waitForSelector('[data-testid=ssh-row]');
  assert.equal((await page.textContent('[data-testid=ssh-sha256]')).trim(), fingerprint, 'the table shows what ssh-keygen -lf prints');
  const id = (await page.textContent('[data-testid=ssh-id]')).trim();
  assert.match(id, /^APKA[A-Z0-9]+$/);
  await page.click('[data-testid=ssh-config] summary');
  assert.match(await page.textContent('[data-testid=ssh-config-block]'), new RegExp(`Host git-codecommit\\.\\*\\.amazonaws\\.com\\s+User ${id}\\s+IdentityFile ~/\\.ssh/codecommit_rsa`));

  // Uploading it again says which key it duplicates.
  await page.click('[data-testid=ssh-upload] summary');
  await page.fill('[data-testid=ssh-key-input]', readFileSync(`${key}.pub`, 'utf8'));
  await page.click('[data-testid=ssh-upload-submit]');
  await page.waitForSelector(`[data-testid=ssh-upload] [role=alert]:has-text("${id}")`);

  await page.fill('[data-testid=ssh-delete-confirm]', id);
  await page.click('[data-testid=ssh-delete]');
  await page.waitForSelector('[data-testid=ssh-row]', { state: 'detached' });
  assert.match(await page.textContent('[data-testid=ssh-count]'), /0 of 5/);
  await ctx.close();
});
