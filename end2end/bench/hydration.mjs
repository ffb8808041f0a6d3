// Hydration time in Chromium: node end2end/bench/hydration.mjs URL USER PASSWORD [RUNS] [PAGE]
// Signs in, then loads PAGE (default "/", "My security credentials") RUNS times (default 10) and
// prints, for each load, the time from navigation start to the app's `keydesk-hydrated` performance
// mark, split into: the page's last byte (responseEnd), the document parsed (DOMContentLoaded's end:
// the floor, what the page costs with no script at all), the WASM compiled and instantiated (the
// `keydesk-wasm-ready` mark) and the islands hydrated. A page with no island loads no WASM: it is
// interactive once parsed, and that is its time. Then the medians, and the lines
//   hydration median: N ms
//   document median: N ms
// which `cargo bench -p server --bench load` reads. The server must serve the built site.
// USER `-` loads PAGE without signing in (the sign-in page). COLD=1 loads it each time in a new
// browser context with an empty cache: a first visit, the WASM downloaded and not yet cached.
import { launchBrowser, signIn } from '../harness.mjs';

const [url, user, password, runsArg, pageArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 10);
const path = pageArg ?? '/';
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  return s.length % 2 ? s[Math.floor(mid)] : (s[mid - 1] + s[mid]) / 2;
};
const browser = await launchBrowser();
try {
  const cold = process.env.COLD === '1';
  const open = async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    if (user !== '-') await signIn(page, url, user, { password });
    // Signing in loaded the WASM: forget it, so the measured load downloads it.
    if (cold) await (await page.context().newCDPSession(page)).send('Network.clearBrowserCache');
    return page;
  };
  let page = await open();
  const loads = [];
  for (let i = 0; i < runs; i++) {
    if (cold && i > 0) {
      await page.context().close();
      page = await open();
    }
    await page.goto(`${url}${path}`, { waitUntil: 'load' });
    const t = await page.waitForFunction(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      if (!nav.domContentLoadedEventEnd) return null;
      const parsed = nav.domContentLoadedEventEnd;
      if (!document.querySelector('leptos-island')) return { received: nav.responseEnd, parsed, ready: parsed, hydrated: parsed, live: false };
      const mark = (name) => performance.getEntriesByName(name, 'mark')[0]?.startTime;
      const hydrated = mark('keydesk-hydrated');
      if (hydrated === undefined) return null;
      return { received: nav.responseEnd, parsed, ready: mark('keydesk-wasm-ready'), hydrated, live: true };
    }, null, { timeout: 30_000 }).then((h) => h.jsonValue());
    loads.push(t);
    const parts = t.live ? `page received ${t.received.toFixed(0)}, parsed ${t.parsed.toFixed(0)}, WASM ready ${t.ready.toFixed(0)}`
      : `no island, nothing to start: page received ${t.received.toFixed(0)}, parsed ${t.parsed.toFixed(0)}`;
    console.log(`hydration #${i + 1}: ${t.hydrated.toFixed(0)} ms (${parts})`);
  }
  const [received, parsed, ready, hydrated] = ['received', 'parsed', 'ready', 'hydrated'].map((k) => median(loads.map((t) => t[k])));
  const split = median(loads.map((t) => t.ready - t.received));
  const islands = median(loads.map((t) => t.hydrated - t.ready));
  console.log(`${path} as ${user}${cold ? ' (cold cache)' : ''}: page received ${received.toFixed(0)} ms, parsed ${parsed.toFixed(0)} ms, WASM ready ${ready.toFixed(0)} ms, hydrated ${hydrated.toFixed(0)} ms;`
    + ` medians of the parts: page to WASM ready ${split.toFixed(0)} ms, islands ${islands.toFixed(0)} ms`);
  console.log(`hydration median: ${hydrated.toFixed(0)} ms`);
  console.log(`document median: ${parsed.toFixed(0)} ms`);
} finally {
  await browser.close();
}
