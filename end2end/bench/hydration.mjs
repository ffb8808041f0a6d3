// Hydration time in Chromium: node end2end/bench/hydration.mjs URL USER PASSWORD [RUNS] [PAGE]
// Signs in, then loads PAGE (default "/", "My security credentials") RUNS times (default 10) and
// prints, for each load, the time from navigation start to the app's `keydesk-hydrated` performance
// mark, split into: the page's last byte (responseEnd), the document parsed (DOMContentLoaded's end:
// the floor, what the page costs with no script at all), the WASM's last byte read (its resource
// entry's responseEnd: from the cache on a warm load), the WASM compiled and instantiated (the
// `keydesk-wasm-ready` mark) and the islands hydrated. A page with no island loads no WASM: it is
// interactive once parsed, and that is its time. Then the medians, and the lines
//   hydration median: N ms
//   document median: N ms
//   wasm read median: N ms      (pages with islands only)
// which `cargo bench -p server --bench load` reads. The server must serve the built site.
// USER `-` loads PAGE without signing in (the sign-in page). COLD=1 loads it each time in a new
// browser context with an empty cache: a first visit, the WASM downloaded and not yet cached.
//
// node end2end/bench/hydration.mjs --floor [RUNS]: the browser's own floor on this machine, no keydesk
// involved. A local server (node's http, 127.0.0.1) serves an empty document ("blank": one paragraph,
// no stylesheet, no script), and the same document starting an empty WASM module the way keydesk's
// pages start theirs (a module script imports a script that fetches and instantiates the module, both
// hinted in the head and cached for a year). Prints
//   blank median: N ms          (navigation start to DOMContentLoaded's end)
//   empty wasm median: N ms     (navigation start to the empty module instantiated)
import http from 'node:http';
import { launchBrowser, signIn } from '../harness.mjs';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  return s.length % 2 ? s[Math.floor(mid)] : (s[mid - 1] + s[mid]) / 2;
};

// Playwright's first script in a new document (its injected helpers, which `waitForFunction` needs)
// takes ~10 ms of the page's main thread: run at the load event, it lands in the middle of the WASM's
// start and delays what it measures. So nothing touches the page until it has had time to finish; the
// marks and entries read afterwards say when things happened.
const settle = () => new Promise((ok) => setTimeout(ok, 600));

// The browser's floor: see the header.
async function floor(runs) {
  // (module (func (export "f"))): the smallest module with an export.
  const emptyWasm = Buffer.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 4, 1, 2, 0, 11]);
  const doc = (head) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>floor</title>${head}</head><body><p>An empty page.</p></body></html>`;
  const files = {
    '/blank': ['text/html; charset=utf-8', doc('')],
    '/empty-wasm': ['text/html; charset=utf-8', doc('<link rel="modulepreload" href="/start.js">'
      + '<link rel="preload" href="/empty.wasm" as="fetch" type="application/wasm" crossorigin="anonymous">'
      + '<script type="module">import("/start.js").then(async (m) => { await m.start("/empty.wasm"); performance.mark("keydesk-hydrated"); });</script>')],
    '/start.js': ['text/javascript', 'export async function start(url) { await WebAssembly.instantiateStreaming(fetch(url, { mode: "cors", credentials: "same-origin" }), {}); }'],
    '/empty.wasm': ['application/wasm', emptyWasm],
  };
  const server = http.createServer((req, res) => {
    const file = files[req.url];
    if (!file) { res.writeHead(404); res.end(); return; }
    const cache = req.url.includes('.') ? 'public, max-age=31536000, immutable' : 'no-store';
    res.writeHead(200, { 'content-type': file[0], 'cache-control': cache });
    res.end(file[1]);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    for (const [path, label] of [['/blank', 'blank'], ['/empty-wasm', 'empty wasm']]) {
      await page.goto(base + path); // fills the cache
      const times = [];
      for (let i = 0; i < runs; i++) {
        await page.goto(base + path, { waitUntil: 'load' });
        await settle();
        times.push(await (await page.waitForFunction((live) => {
          const nav = performance.getEntriesByType('navigation')[0];
          if (!nav.domContentLoadedEventEnd) return null;
          if (!live) return nav.domContentLoadedEventEnd;
          return performance.getEntriesByName('keydesk-hydrated', 'mark')[0]?.startTime ?? null;
        }, path !== '/blank', { timeout: 30_000 })).jsonValue());
      }
      console.log(`${label}: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
      console.log(`${label} median: ${median(times).toFixed(0)} ms`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}

if (process.argv[2] === '--floor') {
  await floor(Number(process.argv[3] ?? 10));
  process.exit(0);
}

const [url, user, password, runsArg, pageArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 10);
const path = pageArg ?? '/';
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
    await settle();
    const t = await page.waitForFunction(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      if (!nav.domContentLoadedEventEnd) return null;
      const parsed = nav.domContentLoadedEventEnd;
      if (!document.querySelector('leptos-island')) return { received: nav.responseEnd, parsed, ready: parsed, hydrated: parsed, live: false };
      const mark = (name) => performance.getEntriesByName(name, 'mark')[0]?.startTime;
      const hydrated = mark('keydesk-hydrated');
      if (hydrated === undefined) return null;
      const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('_bg.wasm'));
      return { received: nav.responseEnd, parsed, read: wasm?.responseEnd ?? NaN, ready: mark('keydesk-wasm-ready'), hydrated, live: true };
    }, null, { timeout: 30_000 }).then((h) => h.jsonValue());
    // A live page without the WASM's resource entry would be reported as a page with no island.
    if (t.live && Number.isNaN(t.read)) throw new Error(`${path}: islands hydrated, but no _bg.wasm resource entry was recorded`);
    loads.push(t);
    const parts = t.live ? `page received ${t.received.toFixed(0)}, parsed ${t.parsed.toFixed(0)}, WASM read ${t.read.toFixed(0)}, WASM ready ${t.ready.toFixed(0)}`
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
  if (loads.some((t) => t.live)) console.log(`wasm read median: ${median(loads.map((t) => t.read)).toFixed(0)} ms`);
} finally {
  await browser.close();
}
