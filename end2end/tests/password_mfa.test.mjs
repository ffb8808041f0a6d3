// The console password checklist (the WASM validator, live) and the server's identical refusal with
// JavaScript off; enrolling a virtual MFA device with codes computed from the seed shown, then removing it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServer, launchBrowser, signIn, hydrated, DEMO, tearDown } from '../harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(() => tearDown(browser, server));

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/// RFC 6238: the code of 30-second step `step`.
function totp(seed, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', seed).update(counter).digest();
  const o = h[19] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

const unmet = (page) => page.$$eval('[data-testid=password-checklist] li[data-met=false]', (els) => els.map((e) => e.textContent.trim()));

test('JS on: the checklist ticks live as you type, and a good password is accepted', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const lists = [];
  page.on('request', (r) => { if (r.url().includes('/common-passwords-')) lists.push(r.url()); });
  await signIn(page, server.url, 'alice');
  // alice's demo password expired 31 days ago, her key is past its deadline and she has no MFA: the
  // top of the page says so, each a link to its section, and the expiry itself is a warning.
  const attention = () => page.$$eval('[data-testid=attention-item]', (els) => els.map((e) => e.dataset.section));
  await page.waitForSelector('[data-testid=attention]');
  assert.deepEqual(await attention(), ['password', 'access-keys', 'mfa']);
  assert.match(await page.textContent('[data-testid=attention]'), /console password expired 31 days ago/);
  assert.equal(await page.locator('[data-testid=password-expiry] .ring-red-200').count(), 1, 'Expired is a red badge');
  // The common-password list is not part of the bundle: it is fetched once someone types a password.
  await hydrated(page);
  assert.deepEqual(lists, [], 'no list before the field is used');
  await page.click('[data-testid=change-password] summary');
  await page.fill('#new-password', 'abc');
  await page.waitForSelector('[data-testid=password-strength][data-common-list=ready]');
  assert.equal(lists.length, 1, 'fetched once');
  assert.deepEqual(await unmet(page), [
    '○ At least 14 characters', '○ At least one uppercase letter (A–Z)', '○ At least one number (0–9)',
    `○ At least one symbol (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')`,
    '! Advice: easy to guess — choose a longer, less common password',
  ]);
  assert.equal(await page.isDisabled('[data-testid=change-password-submit]'), true);
  await page.fill('#new-password', 'P@ssw0rd12345!');
  // Every rule of the policy is met, and the checklist itself says the strength is only advice here
  // (no green light next to a "Weak" meter); the meter speaks in plain words.
  assert.deepEqual(await unmet(page), ['! Advice: easy to guess — choose a longer, less common password']);
  assert.match(await page.textContent('[data-testid=strength-warnings]'), /common password/);
  assert.match(await page.textContent('[data-testid=strength-words]'), /guessed (almost at once|within minutes|within days)/);
  await page.fill('#new-password', 'Granite-Tulip-42-fox');
  await page.fill('#repeat-password', 'Granite-Tulip-42-fox');
  assert.match(await page.textContent('[data-testid=strength-label]'), /strong/i);
  assert.equal(await page.isDisabled('[data-testid=change-password-submit]'), false);
  await page.click('[data-testid=change-password-submit]');
  await page.waitForSelector('[data-testid=password-changed]');
  // After a reload the card tells the truth: new today, and the password is off the summary.
  await page.reload();
  await hydrated(page);
  await page.waitForSelector('[data-testid=password-age]');
  assert.equal((await page.textContent('[data-testid=password-age]')).trim(), '0 days old');
  assert.deepEqual(await attention(), ['access-keys', 'mfa']);
  // The same password again: IAM's reuse rule refuses it, and what was typed stays in both fields.
  if (!(await page.isVisible('#new-password'))) await page.click('[data-testid=change-password] summary');
  await page.fill('#new-password', 'Granite-Tulip-42-fox');
  await page.fill('#repeat-password', 'Granite-Tulip-42-fox');
  await page.click('[data-testid=change-password-submit]');
  await page.waitForSelector('[data-testid=change-password] [role=alert]');
  assert.equal(await page.inputValue('#new-password'), 'Granite-Tulip-42-fox', 'a refusal keeps the new password');
  assert.equal(await page.inputValue('#repeat-password'), 'Granite-Tulip-42-fox', 'and its repetition');
  await ctx.close();
});

test('JS off: the server refuses what the checklist refuses, in the same words', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'bob', { js: false });
  await page.click('[data-testid=change-password] summary');
  await page.fill('#new-password', 'short-One-1');
  await page.fill('#repeat-password', 'short-One-1');
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=change-password-submit]')]);
  await page.waitForSelector('text=The password does not meet the policy: at least 14 characters.');
  await ctx.close();
});

test('JS on: enrol a virtual MFA device with codes from its seed, then remove it', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'carol');
  await hydrated(page);
  // Count once the section is there (the list streams in after the page shell).
  await page.waitForSelector('[data-testid=mfa-count]');
  const before = await page.locator('[data-testid=mfa-row]').count();
  await page.click('[data-testid=add-mfa] summary');
  await page.fill('[data-testid=mfa-name]', 'e2e-phone');
  await page.click('[data-testid=mfa-start]');
  await page.waitForSelector('[data-testid=mfa-enrolment] [data-testid=mfa-qr] svg');
  await page.click('[data-testid=mfa-show-seed]');
  const seed = base32(await page.getAttribute('[data-testid=mfa-seed]', 'data-seed'));
  // The pair of the current 30 s step; IAM still takes it after the step turns (no wait needed,
  // server/tests/http/password_mfa.rs proves the window).
  const step = Math.floor(Date.now() / 30_000);
  await page.fill('[data-testid=mfa-enrolment] [data-testid=code1]', totp(seed, step - 1));
  await page.fill('[data-testid=mfa-enrolment] [data-testid=code2]', totp(seed, step));
  await page.click('[data-testid=mfa-enable]');
  await page.waitForSelector('[data-testid=mfa-enabled]');
  assert.equal(await page.locator('[data-testid=mfa-enrolment]').count(), 0, 'the seed is gone once enrolled');
  // Under carol's own IAM path (review L1).
  const row = page.locator('[data-testid=mfa-row]', { hasText: 'mfa/carol/e2e-phone' });
  await row.waitFor();
  assert.equal(await page.locator('[data-testid=mfa-row]').count(), before + 1);
  // Removal asks, in the page, for the password every time (carol signed in a moment ago).
  await row.locator('[data-testid=mfa-remove]').click();
  assert.match(await row.locator('[data-testid=confirm-consequence]').textContent(), /no longer asks for its codes/);
  await row.locator('[data-testid=mfa-remove-password]').fill('not-carols-password');
  await row.locator('[data-testid=mfa-remove-confirm]').click();
  await page.waitForSelector('#mfa [role=alert] >> text=not correct');
  assert.equal(await page.locator('[data-testid=mfa-row]').count(), before + 1, 'a wrong password removes nothing');
  await row.locator('[data-testid=mfa-remove-password]').fill(DEMO.carol);
  await row.locator('[data-testid=mfa-remove-confirm]').click();
  await page.waitForFunction(() => !document.body.innerText.includes('mfa/carol/e2e-phone'));
  assert.equal(await page.locator('[data-testid=mfa-row]').count(), before);
  assert.equal(await page.locator('[data-testid=mfa-enabled]').count(), 0, '"MFA device assigned" goes with the next action');
  await ctx.close();
});

test('a hardware TOTP token is assigned by serial and two codes; the passkey limits are explained', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, server.url, 'bob');
  await hydrated(page);
  await page.click('[data-testid=add-hardware] summary');
  const form = page.locator('[data-testid=add-hardware]');
  // One of the demo IAM's tokens (README): its seed makes the codes the token would show.
  const seed = base32('MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U');
  const step = Math.floor(Date.now() / 30_000);
  await form.locator('[data-testid=hardware-serial]').fill('GAHT10000002');
  await form.locator('[data-testid=code1]').fill(totp(seed, step - 1));
  await form.locator('[data-testid=code2]').fill(totp(seed, step));
  await form.locator('[data-testid=hardware-enable]').click();
  await page.waitForSelector('[data-testid=hardware-enabled]');
  const row = page.locator('[data-testid=mfa-row]', { hasText: 'GAHT10000002' });
  await row.waitFor();
  assert.match(await row.locator('[data-testid=mfa-kind]').textContent(), /Hardware TOTP token/);

  await page.click('[data-testid=passkey-note] summary');
  const note = await page.textContent('[data-testid=passkey-note]');
  assert.match(note, /only on the AWS console, not through its API/);
  assert.match(note, /aws sts get-session-token --token-code/);
  assert.equal(await page.getAttribute('[data-testid=passkey-note] a', 'href'), 'https://console.aws.amazon.com/iam/home#/security_credentials');
  await ctx.close();
});
