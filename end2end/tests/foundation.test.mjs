// Sign in, see your name, navigate, sign out — with JavaScript on and off — and prove hydration.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, signIn, hydrated, DEMO, SITE_ROOT, tearDown } from '../harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(() => tearDown(browser, server));

for (const javaScriptEnabled of [true, false]) {
  const mode = javaScriptEnabled ? 'JS on' : 'JS off';

  test(`${mode}: sign in, see your name, sign out`, async () => {
    const ctx = await browser.newContext({ javaScriptEnabled });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/`);
    assert.equal(new URL(page.url()).pathname, '/sign-in', 'anonymous visitors land on sign-in');
    await signIn(page, server.url, 'alice', { js: javaScriptEnabled });
    await page.waitForSelector('[data-testid=iam-user]');
    assert.equal(await page.textContent('[data-testid=viewer-name]'), 'Alice Martin');
    assert.equal(await page.textContent('[data-testid=iam-user]'), 'alice');
    assert.ok(await page.isVisible('[data-testid=demo-badge]'));
    await Promise.all([page.waitForURL(`${server.url}/sign-in`), page.click('text=Sign out')]);
    await page.goto(`${server.url}/`);
    assert.equal(new URL(page.url()).pathname, '/sign-in', 'signed out for real');
    await ctx.close();
  });

  test(`${mode}: a wrong password shows the one generic message`, async () => {
    const ctx = await browser.newContext({ javaScriptEnabled });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/sign-in`);
    if (javaScriptEnabled) await hydrated(page);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'definitely-wrong');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    assert.match(await page.textContent('[role=alert]'), /The user name or password is incorrect\./);
    await ctx.close();
  });

  test(`${mode}: roles see their own navigation; others get 403`, async () => {
    const ctx = await browser.newContext({ javaScriptEnabled });
    const page = await ctx.newPage();
    await signIn(page, server.url, 'dave', { js: javaScriptEnabled });
    await page.click('nav >> text=Admin');
    await page.waitForURL(`${server.url}/admin`);
    // Client-side navigation changes the URL before the data arrives: wait for the content itself.
    await page.waitForSelector('text=Portal accounts');
    await page.waitForSelector('td >> text=Carol Nguyen');
    // Administrators reach the help-desk page for the four-eyes requests only; the audit page is
    // theirs too; an employee gets 403 on both.
    const desk = await page.goto(`${server.url}/helpdesk`);
    assert.equal(desk.status(), 200);
    await page.waitForSelector('text=Requests needing a second person');
    assert.equal(await page.locator('[data-testid=desk-query]').count(), 0, 'no user search for admins');
    const employee = await (await browser.newContext({ javaScriptEnabled })).newPage();
    await signIn(employee, server.url, 'alice', { js: javaScriptEnabled });
    assert.equal((await employee.goto(`${server.url}/helpdesk`)).status(), 403);
    await employee.context().close();
    await ctx.close();
  });
}

test('hydration happened: the password toggle responds', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${server.url}/sign-in`);
  await hydrated(page);
  assert.equal(await page.getAttribute('#password', 'type'), 'password');
  await page.click('[data-testid=toggle-password]');
  assert.equal(await page.getAttribute('#password', 'type'), 'text');
  await ctx.close();
});

test('unknown pages answer 404 with a way back', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const res = await page.goto(`${server.url}/nope`);
  assert.equal(res.status(), 404);
  assert.ok(await page.isVisible('text=Page not found'));
  await ctx.close();
});

test('only pages with an island download a WASM, their family\'s, and its islands hydrate', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  const load = async (path) => {
    fetched.length = 0;
    await page.goto(`${server.url}${path}`, { waitUntil: 'networkidle' });
    return { wasm: fetched.filter((p) => p.endsWith('.wasm')).length, scripts: fetched.filter((p) => p.endsWith('.js')).length };
  };
  assert.deepEqual(await load('/nope'), { wasm: 0, scripts: 0 }, 'the 404 page');
  await signIn(page, server.url, 'carol');
  assert.deepEqual(await load('/audit'), { wasm: 0, scripts: 0 }, 'the audit log');
  assert.equal(await page.getAttribute('html', 'data-hydrated'), null);
  // The help desk's search is a plain form: nothing to start until a case is open.
  assert.deepEqual(await load('/helpdesk'), { wasm: 0, scripts: 0 }, 'the help desk without a case');
  // A person's case has islands (its reason, the reset); the page downloads the WASM once, its own
  // family's (the help desk's islands only), and hydrates.
  assert.deepEqual(await load('/helpdesk?q=alice'), { wasm: 1, scripts: 1 }, "the help desk with alice's case");
  assert.match(fetched.find((p) => p.endsWith('.wasm')), /-helpdesk_bg\.wasm$/);
  await hydrated(page);
  await ctx.close();
});

test("a page whose family's WASM lacks its island is not marked hydrated, and the console says which", async () => {
  // A site whose admin family holds the sign-in page's WASM: what a page naming the wrong family loads.
  const site = mkdtempSync(join(tmpdir(), 'keydesk-site-'));
  cpSync(SITE_ROOT, site, { recursive: true });
  const name = readFileSync(join(site, 'assets.txt'), 'utf8').trim();
  for (const file of ['.js', '_bg.wasm']) {
    for (const encoding of ['', '.br', '.gz']) {
      copyFileSync(join(site, 'pkg', `${name}-sign-in${file}${encoding}`), join(site, 'pkg', `${name}-admin${file}${encoding}`));
    }
  }
  const broken = await startServer([], { site });
  try {
    const page = await (await browser.newContext()).newPage();
    await signIn(page, broken.url, 'dave');
    const said = page.waitForEvent('console', { predicate: (m) => m.type() === 'error' && m.text().includes('holds no island') });
    await page.goto(`${broken.url}/admin`);
    assert.match((await said).text(), /the admin WASM holds no island.*RefreshReport/);
    assert.ok(await page.evaluate(() => performance.getEntriesByName('keydesk-wasm-ready').length === 1), 'the WASM started');
    assert.equal(await page.getAttribute('html', 'data-hydrated'), null, 'a page with a missing island is not marked hydrated');
    await page.context().close();
  } finally {
    await broken.stop();
    rmSync(site, { recursive: true, force: true });
  }
});

test('demo accounts were printed at start-up', () => {
  for (const [user, pw] of Object.entries(DEMO)) {
    assert.match(server.output(), new RegExp(`${user}\\s.*password: ${pw}`));
  }
});

test('the CSP holds: hydration works under it, and an injected inline script is refused and reported', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const response = await page.goto(`${server.url}/sign-in`);
  const csp = response.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
  await hydrated(page); // the WASM ran under the policy
  assert.equal(browser.cspViolations.length, 0, JSON.stringify(browser.cspViolations));
  // What an injection would do: an inline script without the nonce never runs, and it is reported.
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true';
    document.body.append(s);
  });
  await page.waitForFunction(() => true);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await page.evaluate(() => window.__injected), undefined, 'the injected script ran');
  const refused = browser.cspViolations.splice(0); // expected here: clear so closing the browser passes
  assert.ok(refused.some((v) => v.directive.startsWith('script-src')), JSON.stringify(refused));
  await ctx.close();
});
