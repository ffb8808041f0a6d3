// Time the admin review's first page in Chromium: node end2end/bench/review-page.mjs URL USER PASSWORD
// Prints, for a cold load (the server has no credential report cached yet) and three warm loads, the
// time from navigation to the first table row on screen and to hydration. Called by
// `cargo bench -p server --bench review`, which starts the server with its seeded users.
import { launchBrowser, signIn, hydrated } from '../harness.mjs';

const [url, user, password] = process.argv.slice(2);
const browser = await launchBrowser();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(page, url, user, { password });
  const load = async (label) => {
    const start = Date.now();
    await page.goto(`${url}/admin`, { waitUntil: 'commit' });
    await page.waitForSelector('[data-testid=review-row]', { timeout: 120_000 });
    const rows = Date.now() - start;
    await hydrated(page);
    const interactive = Date.now() - start;
    const shown = await page.locator('[data-testid=review-row]').count();
    console.log(`chromium ${label}: first table row on screen ${rows} ms, hydrated ${interactive} ms (${shown} rows on the page)`);
    return rows;
  };
  await load('cold');
  const warm = [];
  for (let i = 0; i < 3; i++) warm.push(await load(`warm #${i + 1}`));
  warm.sort((a, b) => a - b);
  console.log(`chromium warm median: ${warm[1]} ms`);
} finally {
  await browser.close();
}
