// Browser-test harness: starts a real keydesk (embedded IAM, demo accounts, fresh databases) on a free
// loopback port, and launches Debian's Chromium through playwright-core. No browser is downloaded.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, 'target');

/// The built site the servers serve (`.ci/build-site`).
export const SITE_ROOT = process.env.KEYDESK_SITE_ROOT || join(targetDir, 'site');

export const DEMO = {
  alice: 'amber-falcon-river',
  bob: 'birch-canyon-ember',
  carol: 'coral-meadow-quartz',
  dave: 'dune-harbor-violet',
};

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

const bin = process.env.KEYDESK_BIN || join(targetDir, 'debug', 'keydesk');
const databaseArgs = (dir) => ['--database-url', `sqlite://${join(dir, 'portal.db')}`,
  '--embedded-iam-database-url', `sqlite://${join(dir, 'iam.db')}`];

/// Start keydesk on a free loopback port with fresh databases in a new directory. `demo: false` starts
/// it without demo data (the AWS backend refuses `--demo`); `before(dir)` runs first, e.g. to add
/// portal accounts with `keydeskCli`; `site` serves another built site than [`SITE_ROOT`].
export async function startServer(extraArgs = [], { demo = true, before: prepare, port: chosen, site = SITE_ROOT } = {}) {
  const port = chosen || await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'keydesk-e2e-'));
  if (prepare) await prepare(dir);
  const args = ['--listen', `127.0.0.1:${port}`, ...(demo ? ['--demo'] : []), ...databaseArgs(dir),
    '--site-root', site,
    ...extraArgs];
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KEYDESK_LOG: 'warn' } });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`keydesk exited early:\n${output}`);
    try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not up yet */ }
    if (Date.now() > deadline) { proc.kill(); throw new Error(`keydesk did not start:\n${output}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, dir, proc,
    output: () => output,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/// Start a real OpenID Provider (npm oidc-provider, end2end/idp/provider.mjs) for a keydesk that will
/// listen on `rpPort`, with `accounts` ({ login: { name, groups } }). Returns its issuer, the keydesk
/// arguments that use it, `setAccounts` (read at every sign-in), `restart({ rotateKeys })` and `stop`.
export async function startIdp(rpPort, accounts) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'keydesk-idp-'));
  const files = { keys: join(dir, 'keys.json'), accounts: join(dir, 'accounts.json'), secret: join(dir, 'client-secret') };
  const clientSecret = `e2e-client-secret-${Math.random().toString(36).slice(2)}`;
  writeFileSync(files.secret, `${clientSecret}\n`);
  writeFileSync(files.accounts, JSON.stringify(accounts));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ rp: `http://127.0.0.1:${rpPort}`, clientSecret, keys: files.keys, accounts: files.accounts }));
  const issuer = `http://127.0.0.1:${port}`;
  let proc;
  let output = '';
  const launch = async () => {
    proc = spawn(process.execPath, [join(root, 'end2end', 'idp', 'provider.mjs'), String(port), config], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d) => { output += d; });
    proc.stderr.on('data', (d) => { output += d; });
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`oidc-provider exited early:\n${output}`);
      try { if ((await fetch(`${issuer}/.well-known/openid-configuration`)).ok) return; } catch { /* not up yet */ }
      if (Date.now() > deadline) { proc.kill(); throw new Error(`oidc-provider did not start:\n${output}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const halt = async () => {
    if (proc.exitCode !== null) return;
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  };
  await launch();
  return {
    issuer,
    output: () => output,
    args: ['--oidc-issuer', issuer, '--oidc-client-id', 'keydesk', '--oidc-client-secret-file', files.secret,
      '--oidc-scopes', 'openid profile email groups', '--oidc-display-name', 'Corp SSO',
      '--oidc-role-map', 'admin=iam-admins,helpdesk=support,employee=staff'],
    setAccounts(a) { writeFileSync(files.accounts, JSON.stringify(a)); },
    /// Stop and start again on the same port (its sessions are forgotten); with `rotateKeys`, a new
    /// signing key (and key id) replaces the old one.
    async restart({ rotateKeys = false } = {}) {
      await halt();
      if (rotateKeys) rmSync(files.keys, { force: true });
      await launch();
    },
    halt,
    start: launch,
    async stop() { await halt(); rmSync(dir, { recursive: true, force: true }); },
  };
}

export { freePort };

/// A test file's `after`: close the browser and stop every server, each even when one before it
/// failed (a CSP violation makes `browser.close()` throw), then throw the first failure. A server left
/// running keeps the file's process alive, and the suite waited on it until CI's limit.
export async function tearDown(...parts) {
  let failure;
  for (const part of parts) {
    try {
      if (part?.close) await part.close(); else await part?.stop?.();
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure) throw failure;
}

/// Make `user`'s sessions on `server` look as if their last password check was `seconds` ago: the
/// test-only way to reach "the step-up window has passed" without waiting it out in real time. Edits
/// the session rows in the portal database (Python's sqlite3; keydesk reads sessions afresh per request).
export function ageLastPasswordCheck(server, user, seconds) {
  const script = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT id, data FROM sessions WHERE username = ?", (sys.argv[2],)).fetchall()
for sid, data in rows:
    record = json.loads(data)
    record["data"]["auth"]["authenticated_at"] -= int(sys.argv[3])
    db.execute("UPDATE sessions SET data = ? WHERE id = ?", (json.dumps(record), sid))
db.commit()
print(len(rows))
`;
  const changed = Number(execFileSync('python3', ['-c', script, join(server.dir, 'portal.db'), user, String(seconds)]).toString().trim());
  if (changed < 1) throw new Error(`no session of ${user} to age`);
}

/// Run the keydesk CLI against the databases in `dir`, writing `stdin` to it; resolves with its output
/// or rejects with it when the exit code is not 0.
export function keydeskCli(dir, args, stdin = '') {
  return new Promise((res, rej) => {
    const proc = spawn(bin, [...databaseArgs(dir), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d) => { output += d; });
    proc.stderr.on('data', (d) => { output += d; });
    proc.on('exit', (code) => (code === 0 ? res(output) : rej(new Error(`keydesk ${args.join(' ')} exited ${code}: ${output}`))));
    proc.stdin.end(stdin);
  });
}

/// Chromium, with every context it opens reporting Content-Security-Policy violations (G17): each page
/// and flow of every test runs under keydesk's CSP, and `browser.close()` fails the test if anything
/// was refused. Contexts with JavaScript off cannot report (no script runs there at all).
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const violations = [];
  // keydesk never uses the browser's own alert/confirm/prompt (a browser may suppress them, and they
  // cannot say what breaks): destructive actions confirm in the page. Any such dialog fails the file.
  const nativeDialogs = [];
  let loads = 0;
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options = {}) => {
    const context = await newContext(options);
    context.on('page', (p) => p.on('dialog', async (d) => {
      if (d.type() === 'beforeunload') {
        await d.accept();
        return;
      }
      nativeDialogs.push(`${d.type()} on ${p.url()}: ${d.message()}`);
      await d.dismiss();
    }));
    if (options.javaScriptEnabled !== false) {
      // Count the documents loaded under the CSP with a reporter in them (G17's figure).
      context.on('page', (p) => p.on('load', () => { loads += 1; }));
      await context.exposeBinding('__keydeskCspViolation', (_source, v) => { violations.push(v); });
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          window.__keydeskCspViolation({
            page: location.pathname, directive: e.violatedDirective, blocked: e.blockedURI,
            source: e.sourceFile, line: e.lineNumber, sample: e.sample,
          });
        });
      });
    }
    return context;
  };
  browser.cspViolations = violations;
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    console.log(`G17: ${loads} page loads with JavaScript under keydesk's CSP in this file, ${violations.length} violations`);
    if (nativeDialogs.length) {
      throw new Error(`the browser's own dialogs were used (confirm in the page instead):\n${nativeDialogs.join('\n')}`);
    }
    if (violations.length) {
      throw new Error(`Content-Security-Policy violations:\n${violations.map((v) => JSON.stringify(v)).join('\n')}`);
    }
  };
  return browser;
}

/// Fill in the sign-in form and submit it (works with and without JavaScript).
/// With `js` (the default), wait until the WASM has taken over the form so the submit path is always
/// the hydrated one; pass `js: false` for contexts with JavaScript disabled.
export async function signIn(page, url, user, { password = DEMO[user], js = true } = {}) {
  await page.goto(`${url}/sign-in`);
  if (js) await hydrated(page);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
}

/// Wait until the WASM has hydrated the page. A page with no island loads no WASM (#28): there is
/// nothing to wait for, and it must not carry the script that would start it.
export async function hydrated(page) {
  const [islands, scripts] = await page.evaluate(() => [document.querySelectorAll('leptos-island').length, document.querySelectorAll('script[type=module]').length]);
  if (!islands) {
    if (scripts) throw new Error(`a page with no island has ${scripts} module scripts: ${page.url()}`);
    return;
  }
  await page.waitForSelector('html[data-hydrated=true]', { timeout: 20_000 });
  // The root marks itself hydrated before content inside nested Suspense boundaries has hydrated (it
  // resolves a few ticks later); let those ticks pass so a click reaches a hydrated handler.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50)))));
}

/// Open an in-page confirmation (`<testid>`), check it says something, and confirm (`<testid>-confirm`).
/// Returns what it said would break.
export async function confirmInPage(scope, testid) {
  await scope.locator(`[data-testid=${testid}]`).click();
  const panel = scope.locator(`[data-testid=${testid}-panel]`);
  const said = (await panel.locator('[data-testid=confirm-consequence]').textContent()).trim();
  if (!said) throw new Error(`the confirmation of ${testid} says nothing`);
  await panel.locator(`[data-testid=${testid}-confirm]`).click();
  return said;
}

/// Deactivate the key `id` in the access-key table (through its in-page confirmation), then delete it
/// by typing its id, waiting for the page to show each change. Needs JavaScript.
export async function deactivateAndDelete(page, id) {
  const row = page.locator('[data-testid=access-key-row]', { hasText: id });
  await confirmInPage(row, 'toggle-key');
  await page.waitForSelector(`[data-testid=access-key-row]:has-text("${id}") >> text=Inactive`);
  await row.locator('[data-testid=delete-confirm]').fill(id);
  await row.locator('[data-testid=delete-key]').click();
  await page.waitForFunction((key) => !document.body.innerText.includes(key), id);
}

/// The account moto answers as.
export const MOTO_ACCOUNT = '123456789012';

/// One IAM Query API call to moto at `moto`. Moto routes on the credential scope and does not check
/// signatures; an entity that already exists is not an error (files share one moto).
export async function motoIam(moto, action, params) {
  const res = await fetch(moto, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }),
  });
  const text = await res.text();
  if (!res.ok && !text.includes('EntityAlreadyExists')) throw new Error(`${action}: ${res.status} ${text}`);
  return text;
}

/// keydesk's three roles created in moto (trusting the account), the SDK's credentials for this
/// process, and the arguments that run keydesk on the AWS backend against moto.
export async function motoBackend(moto) {
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] });
  for (const role of ['keydesk-user', 'keydesk-helpdesk', 'keydesk-admin']) {
    await motoIam(moto, 'CreateRole', { RoleName: role, AssumeRolePolicyDocument: trust });
  }
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = 'us-east-1';
  return ['--iam-backend', 'aws',
    '--aws-user-role-arn', `arn:aws:iam::${MOTO_ACCOUNT}:role/keydesk-user`,
    '--aws-helpdesk-role-arn', `arn:aws:iam::${MOTO_ACCOUNT}:role/keydesk-helpdesk`,
    '--aws-admin-role-arn', `arn:aws:iam::${MOTO_ACCOUNT}:role/keydesk-admin`,
    '--iam-endpoint', moto, '--sts-endpoint', moto];
}
