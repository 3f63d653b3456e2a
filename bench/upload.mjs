// Upload speed: one file through the page in headless Chromium (s3mpu signing,
// the browser sending parts straight to S3) and with `aws s3 cp`, each against
// moto behind the S3 gate (as every test runs) and against moto directly, so the
// gate's cost shows. Prints the times and ratios. A figure, not a test.
import { spawnSync } from 'node:child_process';
import { openSync, writeSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { startStack, launchChromium } from '../tests/browser/stack.mjs';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env.BENCH_SIZE_MIB ?? 1024);
const tmp = mkdtempSync(path.join(os.tmpdir(), 's3mpu-bench-'));
const file = path.join(tmp, 'bench.bin');

const fd = openSync(file, 'w');
const chunk = randomBytes(64 * MiB);
for (let left = sizeMiB * MiB; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
closeSync(fd);

/** Page (batch signing and one URL a request) and aws s3 cp against one stack. */
async function measure(stack, browser) {
  async function viaPage(query) {
    const page = await browser.newPage();
    let apiRequests = 0;
    page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/api/')) apiRequests++; });
    await page.goto(stack.baseUrl + '/' + query);
    const t0 = performance.now();
    await page.setInputFiles('input[type=file]', [file]);
    await page.waitForFunction(() => {
      const r = document.querySelector('#uploads li');
      return r && (r.dataset.state === 'done' || r.dataset.state === 'error');
    }, null, { timeout: 0, polling: 200 });
    const seconds = (performance.now() - t0) / 1000;
    const state = await page.$eval('#uploads li', (r) => r.dataset.state + ' ' + r.querySelector('.result').textContent);
    if (!state.startsWith('done')) throw new Error(`page upload failed: ${state}`);
    await page.close();
    return { seconds, apiRequests };
  }
  const batched = await viaPage('');
  const single = await viaPage('?batchSize=1');
  const env = { ...process.env, ...stack.credentials, AWS_DEFAULT_REGION: 'us-east-1' };
  const t1 = performance.now();
  const cli = spawnSync('aws', ['--endpoint-url', stack.s3Url, 's3', 'cp', '--only-show-errors', file,
    's3://uploads/bench-cli.bin'], { env, stdio: 'inherit' });
  const cliSeconds = (performance.now() - t1) / 1000;
  if (cli.status !== 0) throw new Error('aws s3 cp failed');
  return { batched, single, cliSeconds };
}

const browser = await launchChromium();
const runs = {};
try {
  for (const [name, env] of [['gate', {}], ['direct', { S3MPU_NO_GATE: '1' }]]) {
    const stack = await startStack({ env });
    try {
      runs[name] = await measure(stack, browser);
    } finally {
      await stack.stop();
    }
  }
} finally {
  await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}

const mbps = (s) => (sizeMiB / s).toFixed(1);
const row = (label, s) => `| ${label.padEnd(52)} | ${s.toFixed(2).padStart(7)} | ${mbps(s).padStart(6)} |`;
console.log(`\nupload of ${sizeMiB} MiB on loopback (page: 10 MiB parts, 4 in parallel)\n`);
console.log(`| ${'client, S3'.padEnd(52)} | seconds | MiB/s  |`);
console.log(`|${'-'.repeat(54)}|---------|--------|`);
for (const [name, label] of [['gate', 'moto behind the S3 gate'], ['direct', 'moto directly']]) {
  const r = runs[name];
  console.log(row(`page in headless Chromium, ${label}`, r.batched.seconds));
  console.log(row(`aws s3 cp, ${label}`, r.cliSeconds));
  console.log(row(`page, one URL per request, ${label}`, r.single.seconds));
}
const g = runs.gate, d = runs.direct;
console.log(`\nthrough the gate / moto directly: page ${(g.batched.seconds / d.batched.seconds).toFixed(2)}x, ` +
  `aws s3 cp ${(g.cliSeconds / d.cliSeconds).toFixed(2)}x`);
console.log(`page / aws s3 cp time ratio (gate): ${(g.batched.seconds / g.cliSeconds).toFixed(2)}`);
console.log(`API requests for the file: ${g.batched.apiRequests} with batch signing, ` +
  `${g.single.apiRequests} signing one part a request`);
console.log(`raw: size_mib=${sizeMiB} ` + Object.entries(runs).map(([n, r]) =>
  `${n}_page_seconds=${r.batched.seconds.toFixed(3)} ${n}_page_single_seconds=${r.single.seconds.toFixed(3)} ` +
  `${n}_cli_seconds=${r.cliSeconds.toFixed(3)}`).join(' '));
