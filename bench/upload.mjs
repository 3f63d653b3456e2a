// Upload speed: one file through the page in headless Chromium (s3mpu signing,
// the browser sending parts straight to S3) against `aws s3 cp` of the same file
// to the same emulator. Prints both times and their ratio. A figure, not a test.
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

const stack = await startStack();
const browser = await launchChromium();
try {
  // through the page: once as shipped (batch signing), once signing one part a request
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
  const pageSeconds = batched.seconds;

  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: 'us-east-1' };
  const t1 = performance.now();
  const cli = spawnSync('aws', ['--endpoint-url', stack.motoUrl, 's3', 'cp', '--only-show-errors', file,
    's3://uploads/bench-cli.bin'], { env, stdio: 'inherit' });
  const cliSeconds = (performance.now() - t1) / 1000;
  if (cli.status !== 0) throw new Error('aws s3 cp failed');

  const mbps = (s) => (sizeMiB / s).toFixed(1);
  console.log(`\nupload of ${sizeMiB} MiB to moto_server on loopback (page: 10 MiB parts, 4 in parallel)\n`);
  console.log('| client                          | seconds | MiB/s  |');
  console.log('|---------------------------------|---------|--------|');
  console.log(`| page in headless Chromium       | ${pageSeconds.toFixed(2).padStart(7)} | ${mbps(pageSeconds).padStart(6)} |`);
  console.log(`| aws s3 cp                       | ${cliSeconds.toFixed(2).padStart(7)} | ${mbps(cliSeconds).padStart(6)} |`);
  console.log(`| page, one URL per request       | ${single.seconds.toFixed(2).padStart(7)} | ${mbps(single.seconds).padStart(6)} |`);
  console.log(`\npage / aws s3 cp time ratio: ${(pageSeconds / cliSeconds).toFixed(2)}`);
  console.log(`API requests for the file: ${batched.apiRequests} with batch signing, ` +
    `${single.apiRequests} signing one part a request`);
  console.log(`raw: page_seconds=${pageSeconds.toFixed(3)} page_single_seconds=${single.seconds.toFixed(3)} ` +
    `cli_seconds=${cliSeconds.toFixed(3)} size_mib=${sizeMiB} api_batched=${batched.apiRequests} api_single=${single.apiRequests}`);
} finally {
  await browser.close();
  await stack.stop();
  rmSync(tmp, { recursive: true, force: true });
}
