// Take screenshots of every page for review and for the README: node end2end/screenshots.mjs [outdir]
import { startServer, launchBrowser, signIn, hydrated } from './harness.mjs';
import { mkdirSync } from 'node:fs';

const out = process.argv[2] || 'target/screenshots';
mkdirSync(out, { recursive: true });
const server = await startServer();
const browser = await launchBrowser();
try {
  const shots = [
    [null, '/sign-in', 'sign-in'],
    ['alice', '/', 'credentials'],
    ['dave', '/admin', 'admin'],
    ['carol', '/helpdesk', 'helpdesk'],
    ['carol', '/helpdesk?q=alice', 'helpdesk-user'],
    ['carol', '/helpdesk?q=heidi', 'helpdesk-codecommit'],
    ['dave', '/admin?filter=action&sort=verdict&desc=1', 'admin-review-filtered'],
    ['dave', '/settings', 'settings'],
    ['alice', '/activity', 'activity'],
    [null, '/nope', 'not-found'],
  ];
  for (const [user, path, name] of shots) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    if (user) await signIn(page, server.url, user);
    await page.goto(server.url + path);
    await hydrated(page);
    // The review's per-user details arrive after the first render.
    if (path.startsWith('/admin')) await page.waitForSelector('[data-testid=details-progress]', { state: 'detached', timeout: 20000 });
    await page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
    await ctx.close();
    console.log(`${out}/${name}.png`);
  }
  // The one-time page a create without JavaScript answers with, secret revealed.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
  const page = await ctx.newPage();
  await signIn(page, server.url, 'alice', { js: false });
  await page.click('[data-testid=create-key] summary');
  await Promise.all([page.waitForNavigation(), page.click('[data-testid=create-key] button[type=submit]')]);
  await page.click('[data-testid=secret-view] summary >> text=Show');
  await page.click('text=Ready-to-paste configuration');
  await page.screenshot({ path: `${out}/new-key-no-js.png`, fullPage: true });
  await ctx.close();
  console.log(`${out}/new-key-no-js.png`);
  // CodeCommit: an uploaded SSH key with its config block, then the one-time Git password dialog.
  {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const key = join(mkdtempSync(join(tmpdir(), 'shot-')), 'id');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '4096', '-N', '', '-C', 'bob@laptop', '-f', key]);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await signIn(page, server.url, 'bob');
    await page.click('[data-testid=ssh-upload] summary');
    await page.fill('[data-testid=ssh-key-input]', readFileSync(`${key}.pub`, 'utf8'));
    await page.waitForSelector('[data-testid=ssh-preview-sha256]');
    await page.locator('#codecommit').screenshot({ path: `${out}/ssh-preview.png` });
    await page.click('[data-testid=ssh-upload-submit]');
    await page.waitForSelector('[data-testid=ssh-row]');
    await page.click('[data-testid=ssh-config] summary');
    await page.locator('#codecommit').screenshot({ path: `${out}/codecommit.png` });
    await page.click('[data-testid=git-generate]');
    await page.waitForSelector('[data-testid=git-secret]');
    await page.click('[data-testid=git-show]');
    await page.fill('[data-testid=git-secret] input >> nth=1', 'MyDemoRepo');
    await page.screenshot({ path: `${out}/git-secret.png` });
    await ctx.close();
    const off = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
    const p2 = await off.newPage();
    await signIn(p2, server.url, 'bob', { js: false });
    await p2.click('[data-testid=ssh-upload] summary');
    await p2.fill('[data-testid=ssh-key-input]', 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 short');
    await Promise.all([p2.waitForNavigation(), p2.click('[data-testid=ssh-upload-submit]')]);
    await p2.locator('#codecommit').screenshot({ path: `${out}/codecommit-no-js.png` });
    await off.close();
    console.log(`${out}/codecommit.png, ssh-preview.png, git-secret.png, codecommit-no-js.png`);
  }
  // Entitlements: developers may manage everything, everyone else only password and MFA; carol (group
  // it) then sees whom to ask in place of three sections.
  {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await signIn(page, server.url, 'dave');
    await page.goto(`${server.url}/settings`);
    await hydrated(page);
    await page.fill('[data-testid=new-group]', 'developers');
    for (const cap of ['password', 'access-keys', 'mfa', 'git', 'ssh', 'certificates', 'services']) await page.check(`[data-testid="grant-+-${cap}"]`);
    for (const cap of ['access-keys', 'git', 'ssh']) await page.uncheck(`[data-testid="grant-*-${cap}"]`);
    await page.fill('[data-testid=entitlements-ask]', 'the IT help desk (#it-help)');
    await page.click('[data-testid=entitlements-save]');
    await page.waitForSelector('[data-testid=row-developers]');
    await page.locator('#entitlements').screenshot({ path: `${out}/entitlements.png` });
    const carol = await ctx.browser().newContext({ viewport: { width: 1280, height: 900 } });
    const cp = await carol.newPage();
    await signIn(cp, server.url, 'carol');
    await hydrated(cp);
    await cp.screenshot({ path: `${out}/credentials-managed.png`, fullPage: true });
    await carol.close();
    await ctx.close();
    console.log(`${out}/entitlements.png, credentials-managed.png`);
  }
  // A signing certificate made with openssl, uploaded.
  {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'shot-cert-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'),
      '-subj', '/CN=release-signer/O=Example Corp', '-days', '365'], { stdio: 'ignore' });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await signIn(page, server.url, 'alice');
    await hydrated(page);
    await page.click('[data-testid=cert-upload] summary');
    await page.fill('[data-testid=cert-input]', readFileSync(join(dir, 'c.pem'), 'utf8'));
    await page.click('[data-testid=cert-upload-submit]');
    await page.waitForSelector('[data-testid=cert-row]');
    await page.locator('#signing-certificates').screenshot({ path: `${out}/certificates.png` });
    await ctx.close();
    console.log(`${out}/certificates.png`);
  }
  // Service credentials: a Bedrock API key generated (its one-time dialog), then the section; and the MFA
  // section with the hardware-token form open.
  {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await signIn(page, server.url, 'bob');
    await hydrated(page);
    await page.click('[data-testid=svc-keyspaces] [data-testid=svc-generate]');
    await page.waitForSelector('[data-testid=svc-secret]');
    await page.click('[data-testid=svc-done]');
    await page.click('[data-testid=secret-discard]');
    await page.fill('[data-testid=svc-bedrock] [data-testid=svc-days]', '30');
    await page.click('[data-testid=svc-bedrock] [data-testid=svc-generate]');
    await page.waitForSelector('[data-testid=svc-secret]');
    await page.screenshot({ path: `${out}/service-secret.png` });
    await page.click('[data-testid=svc-done]');
    await page.click('[data-testid=secret-discard]');
    await page.waitForSelector('[data-testid=svc-bedrock] [data-testid=svc-row]');
    await page.locator('#service-credentials').screenshot({ path: `${out}/service-credentials.png` });
    await page.click('[data-testid=add-hardware] summary');
    await page.fill('[data-testid=hardware-serial]', 'GAHT99999999');
    await page.fill('#mfa [data-testid=add-hardware] [data-testid=code1]', '123456');
    await page.fill('#mfa [data-testid=add-hardware] [data-testid=code2]', '654321');
    await page.click('[data-testid=hardware-enable]');
    await page.waitForSelector('[data-testid=add-hardware] [role=alert]');
    await page.locator('#mfa').screenshot({ path: `${out}/mfa-hardware.png` });
    await ctx.close();
    console.log(`${out}/service-secret.png, service-credentials.png, mfa-hardware.png`);
  }
  // The leaked-key case of erin's key (the demo quarantines erin), a four-eyes request filed by carol,
  // and dave's view of it.
  {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await signIn(page, server.url, 'carol');
    await page.goto(`${server.url}/helpdesk?q=erin`);
    await hydrated(page);
    const key = (await page.textContent('[data-testid=desk-key] .font-mono')).trim();
    await page.goto(`${server.url}/helpdesk?q=${key}`);
    await hydrated(page);
    await page.waitForSelector('[data-testid=leak-case]');
    await page.locator('[data-testid=leak-case]').screenshot({ path: `${out}/leak-case.png` });
    await page.fill('[data-testid=desk-case] [data-testid=desk-reason]', 'Key found in a public repository');
    await page.click('[data-testid=case-deactivate]');
    await page.waitForSelector('[data-testid=case-notify]');
    await page.locator('[data-testid=leak-case]').screenshot({ path: `${out}/leak-case-2.png` });
    await page.fill('[data-testid=desk-case] [data-testid=desk-reason]', 'Locked out, identity checked by phone');
    await page.click('[data-testid=desk-reset-password]');
    await page.waitForSelector('[data-testid=desk-request]');
    await page.screenshot({ path: `${out}/four-eyes-requested.png`, fullPage: true });
    const admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await signIn(admin, server.url, 'dave');
    await admin.goto(`${server.url}/helpdesk`);
    await hydrated(admin);
    await admin.waitForSelector('[data-testid=desk-approve]');
    await admin.screenshot({ path: `${out}/four-eyes-approver.png`, fullPage: true });
    await ctx.close();
    console.log(`${out}/leak-case.png, leak-case-2.png, four-eyes-requested.png, four-eyes-approver.png`);
  }
} finally {
  await browser.close();
  await server.stop();
}
