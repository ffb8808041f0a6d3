// X.509 signing certificates in the browser: a real openssl certificate uploaded with the fingerprint
// openssl prints, a private key refused without being shown back, deactivate and delete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startServer, launchBrowser, signIn, hydrated, confirmInPage, tearDown } from '../harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(() => tearDown(browser, server));

test('upload a certificate, refuse a private key, deactivate and delete', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=e2e-signer', '-days', '30'], { stdio: 'ignore' });
  const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
  const fingerprint = execFileSync('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' })
    .trim().split('=')[1];

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'alice');
  await hydrated(page);
  await page.click('[data-testid=cert-upload] summary');
  await page.fill('[data-testid=cert-input]', keyPem);
  await page.click('[data-testid=cert-upload-submit]');
  await page.waitForSelector('#signing-certificates [role=alert], #signing-certificates :text("That is a private key")');
  const section = await page.textContent('#signing-certificates');
  assert.match(section, /That is a private key/);
  assert.ok(!section.includes(keyPem.split('\n')[1]), 'the key is not shown back');
  assert.equal(await page.inputValue('[data-testid=cert-input]'), '', 'and not left in the box');

  await page.fill('[data-testid=cert-input]', certPem);
  await page.click('[data-testid=cert-upload-submit]');
  await page.waitForSelector('[data-testid=cert-row]');
  assert.equal(await page.textContent('[data-testid=cert-subject]'), 'CN=e2e-signer');
  assert.equal(await page.textContent('[data-testid=cert-sha256]'), fingerprint, 'the fingerprint openssl prints');
  assert.match(await page.textContent('[data-testid=cert-count]'), /1 of 2/);
  assert.equal(await page.inputValue('[data-testid=cert-input]'), '', 'the box is empty for the next one');

  assert.match(await confirmInPage(page, 'cert-toggle'), /refused at once/);
  await page.waitForSelector('[data-testid=cert-delete-confirm]');
  const id = (await page.textContent('[data-testid=cert-row] .font-mono')).trim();
  await page.fill('[data-testid=cert-delete-confirm]', id);
  await page.click('[data-testid=cert-delete]');
  await page.waitForSelector('[data-testid=cert-row]', { state: 'detached' });
  assert.match(await page.textContent('[data-testid=cert-count]'), /0 of 2/);
  await ctx.close();
});
