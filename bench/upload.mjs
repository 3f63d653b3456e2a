// Upload speed: one file through the page in headless Chromium (s3mpu signing,
// the browser sending parts straight to S3) and with `aws s3 cp`, each against
// moto behind the S3 gate (as every test runs) and against moto directly, so the
// gate's cost shows; the page with part checksums (its default: SHA-256 of each
// part in WebCrypto, verified by S3, here by the gate) and without (?checksums=0),
// so their cost shows. BENCH_RUNS (default 1) runs each page case that many times,
// alternating, and keeps the best. Prints the times and ratios. A figure, not a test.
import { spawnSync } from 'node:child_process';
import { openSync, writeSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { startStack, launchChromium } from '../tests/browser/stack.mjs';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env.BENCH_SIZE_MIB ?? 1024);
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 1));
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
    const state = await page.$eval('#uploads li', (r) => r.dataset.state + ' ' + r.dataset.verified + ' ' +
      r.querySelector('.result').textContent);
    if (!state.startsWith('done')) throw new Error(`page upload failed: ${state}`);
    const verified = state.split(' ')[1] === 'true';
    if (verified !== !query.includes('checksums=0')) throw new Error(`unexpected verification: ${state}`);
    await page.close();
    return { seconds, apiRequests };
  }
  const best = (a, b) => (!a || b.seconds < a.seconds ? b : a);
  let batched, unchecked;
  for (let i = 0; i < runs; i++) { // alternating, so that the machine's load falls on both
    batched = best(batched, await viaPage(''));
    unchecked = best(unchecked, await viaPage('?checksums=0'));
  }
  const single = await viaPage('?batchSize=1');
  // what the checksums cost the browser: WebCrypto SHA-256 of 10 MiB parts, as the page reads them
  const page = await browser.newPage();
  await page.goto(stack.baseUrl + '/');
  const hashSeconds = await page.evaluate(async (mib) => {
    const part = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < part.length; i += 65536) crypto.getRandomValues(part.subarray(i, i + 65536));
    const blob = new Blob([part]);
    const t0 = performance.now();
    for (let done = 0; done < mib; done += 10) await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
    return (performance.now() - t0) / 1000;
  }, sizeMiB);
  await page.close();
  const env = { ...process.env, ...stack.awsEnv, AWS_DEFAULT_REGION: 'us-east-1' };
  const t1 = performance.now();
  const cli = spawnSync('aws', ['--endpoint-url', stack.s3Url, 's3', 'cp', '--only-show-errors', file,
    's3://uploads/bench-cli.bin'], { env, stdio: 'inherit' });
  const cliSeconds = (performance.now() - t1) / 1000;
  if (cli.status !== 0) throw new Error('aws s3 cp failed');
  return { batched, unchecked, single, cliSeconds, hashSeconds };
}

const browser = await launchChromium();
const results = {};
try {
  for (const [name, env] of [['gate', {}], ['direct', { S3MPU_NO_GATE: '1' }]]) {
    const stack = await startStack({ env });
    try {
      results[name] = await measure(stack, browser);
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
console.log(`\nupload of ${sizeMiB} MiB on loopback (page: 10 MiB parts, 4 in parallel; best of ${runs})\n`);
console.log(`| ${'client, S3'.padEnd(52)} | seconds | MiB/s  |`);
console.log(`|${'-'.repeat(54)}|---------|--------|`);
for (const [name, label] of [['gate', 'moto behind the S3 gate'], ['direct', 'moto directly']]) {
  const r = results[name];
  console.log(row(`page in headless Chromium, ${label}`, r.batched.seconds));
  console.log(row(`page without checksums, ${label}`, r.unchecked.seconds));
  console.log(row(`aws s3 cp, ${label}`, r.cliSeconds));
  console.log(row(`page, one URL per request, ${label}`, r.single.seconds));
}
const g = results.gate, d = results.direct;
const cost = (r) => `${(((r.batched.seconds / r.unchecked.seconds) - 1) * 100).toFixed(1)} %`;
console.log(`\npart checksums (SHA-256 in the page, verified by S3): ${cost(g)} more time through the gate, ` +
  `${cost(d)} to moto directly (which checks nothing)`);
console.log(`SHA-256 of the file in Chromium's WebCrypto, one part after another: ${g.hashSeconds.toFixed(2)} s ` +
  `(${mbps(g.hashSeconds)} MiB/s of one core; the page hashes a part per core while parts are sent)`);
console.log(`through the gate / moto directly: page ${(g.batched.seconds / d.batched.seconds).toFixed(2)}x, ` +
  `aws s3 cp ${(g.cliSeconds / d.cliSeconds).toFixed(2)}x`);
console.log(`page / aws s3 cp time ratio (gate): ${(g.batched.seconds / g.cliSeconds).toFixed(2)}`);
console.log(`API requests for the file: ${g.batched.apiRequests} with batch signing and checksums, ` +
  `${g.unchecked.apiRequests} without checksums, ${g.single.apiRequests} signing one part a request`);
console.log(`raw: size_mib=${sizeMiB} runs=${runs} ` + Object.entries(results).map(([n, r]) =>
  `${n}_page_seconds=${r.batched.seconds.toFixed(3)} ${n}_page_unchecked_seconds=${r.unchecked.seconds.toFixed(3)} ` +
  `${n}_page_single_seconds=${r.single.seconds.toFixed(3)} ${n}_cli_seconds=${r.cliSeconds.toFixed(3)} ` +
  `${n}_hash_seconds=${r.hashSeconds.toFixed(3)}`).join(' '));
