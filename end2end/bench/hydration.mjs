// Hydration time in Chromium: node end2end/bench/hydration.mjs URL USER PASSWORD [RUNS]
// Signs in, then loads "My security credentials" RUNS times (default 10) and prints, for each load,
// the time from navigation start to the app's `keydesk-hydrated` performance mark, then one line
//   hydration median: N ms
// which `cargo bench -p server --bench load` reads. The server must serve the built site.
import { launchBrowser, signIn } from '../harness.mjs';

const [url, user, password, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 10);
const browser = await launchBrowser();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(page, url, user, { password });
  const times = [];
  for (let i = 0; i < runs; i++) {
    await page.goto(`${url}/`, { waitUntil: 'load' });
    const ms = await page.waitForFunction(() => {
      const m = performance.getEntriesByName('keydesk-hydrated', 'mark')[0];
      return m ? m.startTime : null;
    }, null, { timeout: 30_000 }).then((h) => h.jsonValue());
    times.push(ms);
    console.log(`hydration #${i + 1}: ${ms.toFixed(0)} ms`);
  }
  times.sort((a, b) => a - b);
  const mid = times.length / 2;
  const median = times.length % 2 ? times[Math.floor(mid)] : (times[mid - 1] + times[mid]) / 2;
  console.log(`hydration median: ${median.toFixed(0)} ms`);
} finally {
  await browser.close();
}
