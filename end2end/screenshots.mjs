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
    [null, '/nope', 'not-found'],
  ];
  for (const [user, path, name] of shots) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    if (user) await signIn(page, server.url, user);
    await page.goto(server.url + path);
    await hydrated(page);
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
} finally {
  await browser.close();
  await server.stop();
}
