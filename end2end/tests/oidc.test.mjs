// Sign-in through a real OpenID Provider (npm oidc-provider, started here on 127.0.0.1): its own login
// page, roles from groups, accounts made at the first sign-in, a role removed at the provider, step-up
// there (and as another person), the provider down (break-glass for administrators only) and its
// signing key rotated between two sign-ins.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startIdp, freePort, launchBrowser, hydrated, keydeskCli, ageLastPasswordCheck, DEMO, tearDown } from '../harness.mjs';

const PEOPLE = {
  erin: { name: 'Erin Data', groups: ['staff'] },
  frank: { name: 'Frank Finance', groups: ['support', 'staff'] },
  grace: { name: 'Grace Admin', groups: ['iam-admins'] },
  heidi: { name: 'Heidi Nogroup', groups: ['marketing'] },
  // An Identity Center person: in a mapped group, but the AWS account has no IAM user "zoe".
  zoe: { name: 'Zoe Federated', groups: ['staff'] },
};

let server; let idp; let browser;
before(async () => {
  const port = await freePort();
  idp = await startIdp(port, PEOPLE);
  server = await startServer(idp.args, { port });
  browser = await launchBrowser();
});
after(() => tearDown(browser, server, idp));

/// At the provider's own login page: sign in as `login` (the provider takes any password).
async function atProvider(page, login) {
  await page.waitForURL((u) => u.href.startsWith(idp.issuer));
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any-password-the-idp-accepts');
  await page.click('button[type=submit]');
}

/// From keydesk's sign-in page through the provider and back; resolves on the first keydesk page.
async function signInThroughIdp(page, login, { js = true } = {}) {
  await page.goto(`${server.url}/sign-in`);
  if (js) await hydrated(page);
  await page.click('[data-testid=idp-sign-in]');
  // The provider's login page, or (its session still alive) straight back to keydesk.
  const back = (u) => u.href.startsWith(server.url) && !u.pathname.startsWith('/auth/') && u.pathname !== '/sign-in';
  await page.waitForURL((u) => u.href.startsWith(idp.issuer) || back(u));
  if (page.url().startsWith(idp.issuer)) await atProvider(page, login);
  await page.waitForURL(back);
}

const nav = (page) => page.locator('nav[aria-label=Main]').innerText();

test('an employee signs in through the provider: no keydesk password, the account made at first sign-in', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/sign-in`);
  await hydrated(page);
  assert.equal(await page.locator('#password').count(), 0, 'no password form for employees when an identity provider is the front door');
  assert.match(await page.textContent('[data-testid=idp-sign-in]'), /Sign in with Corp SSO/);
  assert.match(await keydeskCli(server.dir, ['user', 'list']), /^(?![\s\S]*\berin\b)/, 'erin has no account before her first sign-in');
  await signInThroughIdp(page, 'erin');
  assert.equal(new URL(page.url()).pathname, '/');
  await page.waitForSelector('[data-testid=viewer-name]');
  assert.match(await page.textContent('[data-testid=viewer-name]'), /Erin Data/);
  const links = await nav(page);
  assert.doesNotMatch(links, /Help desk|Admin/);
  assert.match(await keydeskCli(server.dir, ['user', 'list']), /\berin\b.*employee/);
  await page.context().close();
});

test('roles come from groups (JavaScript off too); a person in no mapped group is refused', async () => {
  const frank = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await signInThroughIdp(frank, 'frank', { js: false });
  assert.match(await nav(frank), /Help desk/);
  assert.doesNotMatch(await nav(frank), /Admin/);

  const grace = await (await browser.newContext()).newPage();
  await signInThroughIdp(grace, 'grace');
  await grace.waitForSelector('nav[aria-label=Main] >> text=Admin');

  const heidi = await (await browser.newContext()).newPage();
  await heidi.goto(`${server.url}/sign-in`);
  await heidi.click('[data-testid=idp-sign-in]');
  await atProvider(heidi, 'heidi');
  await heidi.waitForSelector('[data-testid=notice-message]');
  assert.match(await heidi.textContent('[data-testid=notice-message]'), /none of your groups gives access to keydesk/);
  await heidi.goto(`${server.url}/`);
  await heidi.waitForURL(`${server.url}/sign-in`);
  for (const p of [frank, grace, heidi]) await p.context().close();
});

test('a role removed at the provider is gone at the next sign-in', async () => {
  const page = await (await browser.newContext()).newPage();
  await signInThroughIdp(page, 'grace');
  await page.waitForSelector('nav[aria-label=Main] >> text=Admin');
  idp.setAccounts({ ...PEOPLE, grace: { name: 'Grace Admin', groups: ['staff'] } });
  try {
    await hydrated(page);
    await page.click('text=Sign out');
    await page.waitForURL((u) => u.href.startsWith(idp.issuer));
    await Promise.all([page.waitForURL(`${server.url}/sign-in`), page.click('button[name=logout][value=yes]')]);
    await signInThroughIdp(page, 'grace');
    await page.waitForSelector('[data-testid=viewer-name]');
    assert.doesNotMatch(await nav(page), /Admin|Help desk/);
  } finally {
    idp.setAccounts(PEOPLE);
  }
  await page.context().close();
});

test('after the step-up window, a sensitive action asks for a fresh sign-in at the provider, then works', async () => {
  const page = await (await browser.newContext()).newPage();
  await signInThroughIdp(page, 'erin');
  ageLastPasswordCheck(server, 'erin', 20 * 60);
  await page.goto(`${server.url}/`);
  await hydrated(page);
  await page.click('[data-testid=create-key] summary');
  await page.click('[data-testid=create-key] button[type=submit]');
  const dialog = page.locator('[role=dialog][data-testid=reauth]');
  await dialog.waitFor();
  assert.equal(await dialog.locator('input[type=password]').count(), 0, 'no keydesk password is asked of a provider session');
  assert.match(await dialog.innerText(), /sends you to Corp SSO to sign in again/);
  await dialog.locator('[data-testid=idp-step-up]').click();
  // prompt=login: the provider asks again although its session is alive.
  await atProvider(page, 'erin');
  await page.waitForURL(`${server.url}/`);
  await hydrated(page);
  await page.click('[data-testid=create-key] summary');
  await page.click('[data-testid=create-key] button[type=submit]');
  await page.waitForSelector('[data-testid=secret-view]');
  await page.context().close();
});

test('stepping up as another person at the provider ends the keydesk session', async () => {
  const page = await (await browser.newContext()).newPage();
  await signInThroughIdp(page, 'erin');
  await page.goto(`${server.url}/auth/oidc/step-up?return_to=/activity`);
  await atProvider(page, 'frank');
  await page.waitForSelector('[data-testid=notice-message]');
  assert.match(await page.textContent('h1'), /Your keydesk session has ended/);
  await page.goto(`${server.url}/`);
  await page.waitForURL(`${server.url}/sign-in`);
  await page.context().close();
});

test('the provider down: a clear page, and break-glass sign-in for administrators only', async () => {
  await idp.halt();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/sign-in`);
    await page.click('[data-testid=idp-sign-in]');
    await page.waitForSelector('[data-testid=notice-message]');
    assert.match(await page.textContent('h1'), /cannot be reached/);
    assert.match(await page.textContent('[data-testid=notice-message]'), /break-glass/);

    await page.goto(`${server.url}/sign-in`);
    await page.click('[data-testid=break-glass-link]');
    await page.waitForURL(`${server.url}/sign-in/local`);
    await hydrated(page);
    assert.match(await page.textContent('[data-testid=break-glass-warning]'), /recorded and shown to every administrator/);
    await page.fill('#username', 'alice');
    await page.fill('#password', DEMO.alice);
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert] >> text=break-glass sign-in only');
    await page.fill('#username', 'dave');
    await page.fill('#password', DEMO.dave);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type=submit]')]);
    await page.waitForSelector('nav[aria-label=Main] >> text=Admin');
    // Every administrator sees the break-glass sign-ins (and the refused one) on the admin page.
    await page.goto(`${server.url}/admin`);
    const uses = await page.textContent('[data-testid=break-glass-uses]');
    assert.match(uses, /dave signed in on/);
    assert.match(uses, /alice was refused \(not an administrator\)/);
    await page.context().close();
  } finally {
    await idp.start();
  }
});

test('the provider rotates its signing key between two sign-ins', async () => {
  const before = await (await browser.newContext()).newPage();
  await signInThroughIdp(before, 'erin');
  await before.waitForSelector('[data-testid=viewer-name]');
  await idp.restart({ rotateKeys: true });
  const after = await (await browser.newContext()).newPage();
  await signInThroughIdp(after, 'frank');
  await after.waitForSelector('[data-testid=viewer-name]');
  assert.match(await after.textContent('[data-testid=viewer-name]'), /Frank Finance/);
  for (const p of [before, after]) await p.context().close();
});

// Without JavaScript the sign-out is a form post redirected to the provider, which the page's CSP
// (form-action) must allow: it refused it until the provider's origin was named there.
for (const js of [true, false]) test(`signing out ends the keydesk session, then the provider's (RP-initiated logout), JavaScript ${js ? 'on' : 'off'}`, async () => {
  const page = await (await browser.newContext({ javaScriptEnabled: js })).newPage();
  await signInThroughIdp(page, 'erin', { js });
  if (js) await hydrated(page);
  await page.click('text=Sign out');
  // The provider asks the person to confirm (keydesk keeps no ID token to send as a hint).
  await page.waitForURL((u) => u.href.startsWith(idp.issuer));
  await page.click('button[name=logout][value=yes]');
  await page.waitForURL(`${server.url}/sign-in`);
  // The provider's session is over too: the next sign-in asks for the login again.
  await page.click('[data-testid=idp-sign-in]');
  await page.waitForURL((u) => u.href.startsWith(idp.issuer));
  await page.waitForSelector('input[name=login]');
  await page.context().close();
});

test('the provider\'s back-channel logout ends the keydesk session', async () => {
  const page = await (await browser.newContext()).newPage();
  await signInThroughIdp(page, 'erin');
  await page.waitForSelector('[data-testid=viewer-name]');
  // Signed out at the provider itself (its own logout page, not keydesk's button): the provider tells
  // keydesk over the back channel, and keydesk's session ends with it.
  await page.goto(`${idp.issuer}/session/end`);
  await page.click('button[name=logout][value=yes]');
  await page.waitForLoadState();
  await page.goto(`${server.url}/`);
  await page.waitForURL(`${server.url}/sign-in`);
  await page.context().close();
});

test('a person with no IAM user is told so, and what to do instead', async () => {
  const page = await (await browser.newContext()).newPage();
  await signInThroughIdp(page, 'zoe');
  const panel = page.locator('[data-testid=no-iam-user]');
  await panel.waitFor();
  assert.match(await panel.innerText(), /keydesk knows you as zoe, but this AWS account has no IAM user of that name/);
  assert.match(await panel.innerText(), /aws configure sso/);
  await page.context().close();
});
