// The browser suite with per-test retries: runs every file under end2end/tests once, then each failed
// test once more on its own (same file, its exact name). A test that passes on the retry is reported
// as FLAKY by name; one that fails twice fails the run. Quarantined tests (.ci/quarantine.tsv, kind
// "browser") are skipped on Node 22 and later (--test-skip-pattern); on older Node they still run, but
// their failures are reported as quarantined instead of failing the run. Prints one summary line per
// outcome at the end.
//
//   node .ci/e2e.mjs            # what .ci/test runs
//   node .ci/e2e.mjs --runs 5   # the whole suite five times in a row: "N/5 green, flaky: …"
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 1;
const dir = 'end2end/tests';
const quarantined = readFileSync('.ci/quarantine.tsv', 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((l) => l.split('\t'))
  .filter(([kind]) => kind === 'browser')
  .map(([, name]) => name);

const canSkip = Number(process.versions.node.split('.')[0]) >= 22;

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/// Run node's test runner on `files` (optionally one test name); resolve to the failed tests'
/// { name, file } list, echoing the TAP output as it comes.
function run(files, only) {
  const flags = ['--test', '--test-reporter=tap'];
  if (only) flags.push(`--test-name-pattern=^${escape(only)}$`);
  if (canSkip) for (const q of quarantined) flags.push(`--test-skip-pattern=^${escape(q)}$`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...flags, ...files], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => { text += d; process.stdout.write(d); });
    child.on('close', (code) => {
      const failed = [];
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        const m = /^not ok \d+ - (.*)$/.exec(line);
        if (!m) return;
        const loc = lines.slice(i + 1, i + 8).map((l) => /location: '(.*?):\d+:\d+'/.exec(l)).find(Boolean);
        failed.push({ name: m[1].replace(/ # .*$/, ''), file: loc ? loc[1] : null });
      });
      // A crash without a parsable failure still fails the run.
      if (code !== 0 && failed.length === 0) failed.push({ name: `(the runner exited ${code})`, file: null });
      resolve(failed);
    });
  });
}

const files = readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => `${dir}/${f}`);
const results = [];
for (let r = 1; r <= runs; r++) {
  const flaky = [];
  const failed = [];
  for (const f of await run(files)) {
    if (quarantined.includes(f.name)) { console.log(`\n[e2e] quarantined, not retried: ${f.name}`); continue; }
    if (!f.file) { failed.push(f.name); continue; }
    console.log(`\n[e2e] retrying once: ${f.name} (${f.file})`);
    const again = await run([f.file], f.name);
    (again.length === 0 ? flaky : failed).push(f.name);
  }
  results.push({ flaky, failed });
  console.log(`\n[e2e] run ${r}/${runs}: ${failed.length ? `FAILED ${failed.join('; ')}` : 'green'}${flaky.length ? `; FLAKY ${flaky.join('; ')}` : ''}`);
}
const green = results.filter((x) => x.failed.length === 0).length;
const flakyNames = [...new Set(results.flatMap((x) => x.flaky))];
console.log(`\n[e2e] summary: ${green}/${runs} green, flaky: ${flakyNames.length ? flakyNames.join('; ') : 'none'}, failed: ${results.flatMap((x) => x.failed).join('; ') || 'none'}, quarantined: ${quarantined.length ? quarantined.join('; ') : 'none'}`);
process.exit(green === runs ? 0 : 1);
