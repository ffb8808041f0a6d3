// Every page fits a 360 px phone for every role: the document is never wider than the viewport (tables
// scroll inside their card or stack, long ids and ARNs wrap). Checked with JavaScript on (after
// hydration) and off, since both render the same markup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signIn, hydrated, tearDown } from '../harness.mjs';

let server; let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(() => tearDown(browser, server));

const PAGES = {
  alice: ['/', '/access-keys/new', '/activity'],
  carol: ['/', '/helpdesk', '/helpdesk?q=alice', '/activity'],
  dave: ['/', '/admin', '/admin?dry-run=1', '/audit', '/settings', '/helpdesk', '/activity'],
};

/// What sticks out past the right edge, to name it in the failure.
async function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    // Inside a box that scrolls or clips on its own (a table's wrapper), wide content is fine.
    const clipped = (e) => {
      for (let x = e.parentElement; x && x !== document.body; x = x.parentElement) {
        if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(x).overflowX)) return true;
      }
      return false;
    };
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > width + 1 && e.getClientRects().length > 0 && !clipped(e))
      // Only the outermost culprits: an element whose parent also sticks out is not named.
      .filter((e) => !(e.parentElement && e.parentElement.getBoundingClientRect().right > width + 1))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.dataset.testid ? `[data-testid=${e.dataset.testid}]` : ''}.${[...e.classList].slice(0, 3).join('.')} (${Math.round(e.getBoundingClientRect().right)} px)`);
    return { scroll: document.documentElement.scrollWidth, width, wide };
  });
}

for (const javaScriptEnabled of [true, false]) {
  test(`every page fits 360 px for every role (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
    const failures = [];
    {
      const ctx = await browser.newContext({ javaScriptEnabled, viewport: { width: 360, height: 780 } });
      const page = await ctx.newPage();
      await page.goto(`${server.url}/sign-in`);
      const o = await overflow(page);
      if (o.scroll > o.width) failures.push(`anonymous /sign-in: ${o.scroll} px wide; ${o.wide.join(', ')}`);
      await ctx.close();
    }
    for (const [user, paths] of Object.entries(PAGES)) {
      const ctx = await browser.newContext({ javaScriptEnabled, viewport: { width: 360, height: 780 } });
      const page = await ctx.newPage();
      await signIn(page, server.url, user, { js: javaScriptEnabled });
      for (const path of paths) {
        await page.goto(`${server.url}${path}`);
        if (javaScriptEnabled) await hydrated(page);
        const o = await overflow(page);
        if (o.scroll > o.width) failures.push(`${user} ${path}: ${o.scroll} px wide; ${o.wide.join(', ')}`);
      }
      await ctx.close();
    }
    assert.deepEqual(failures, [], `pages wider than a 360 px phone:\n${failures.join('\n')}`);
  });
}

test('at 1280 px the header is one line for every role (the administrators have six links)', async () => {
  for (const user of Object.keys(PAGES)) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await signIn(page, server.url, user);
    await hydrated(page);
    const [nav, name] = await Promise.all(['nav[aria-label=Main]', '[data-testid=viewer-name]']
      .map((s) => page.$eval(s, (e) => e.getBoundingClientRect().top)));
    // One line: the name beside the links, not under them.
    assert.ok(Math.abs(nav - name) < 20, `${user}: navigation at ${nav} px, name at ${name} px`);
    await ctx.close();
  }
});
