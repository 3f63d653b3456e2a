// The upload page in headless Chromium through faults, against the real stack with
// S3 (moto) behind tests/lib/faultproxy.py and s3mpu under tests/lib/supervise.py:
// S3 unreachable for a few seconds mid-upload, s3mpu killed with SIGKILL mid-upload.
// Each file is read back from moto and compared by SHA-256.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startStack, launchChromium, readObject, sha256, finishedRows, scratchFiles } from './stack.mjs';

const MiB = 1024 * 1024;
const OUTAGE_MS = 3000; // within the page's part retries (4, from 500 ms doubled: at least 3.75 s)
let stack, browser;
const scratch = scratchFiles('faults');
const { makeFile } = scratch;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  // while s3mpu is dead nginx answers 503; the 3 s before the restart leave time
  // to see it from a sanitizer build on a busy machine
  stack = await startStack({ faultProxy: true, supervise: true, restartSec: 3 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  scratch.remove();
});

/** The page with 5 MiB parts, one part in flight at a time. */
async function openPage() {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(stack.baseUrl + '/');
  await page.click('summary');
  await page.fill('#part-size', '5');
  await page.fill('#concurrency', '1');
  return page;
}

async function until(check, what, timeout = 30000) {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const partOf = (url) => `${decodeURIComponent(url.pathname.split('/').pop())}#${url.searchParams.get('partNumber')}`;

async function assertStored(rows, files) {
  for (const f of files) {
    const row = rows.find((r) => r.name === f.name);
    assert.equal(row?.state, 'done', `${f.name}: ${row?.text}`);
    const stored = await readObject(stack.gateUrl, row.key);
    assert.equal(stored.length, f.size, `${f.name} size`);
    assert.equal(sha256(stored), f.sha, `${f.name} SHA-256`);
  }
}

test('S3 unreachable for a few seconds mid-upload: clear API errors, then the page finishes',
  { timeout: 120000 }, async () => {
    const a = makeFile('outage-a.bin', randomBytes(15 * MiB)); // 3 parts
    const b = makeFile('outage-b.bin', randomBytes(6 * MiB)); // picked during the outage
    const page = await openPage();
    const tries = new Map(); // "file#part" → PUTs
    const starts = []; // start-upload answers: [fileName, status]
    let uploadIdA;
    page.on('response', async (r) => {
      const u = new URL(r.url());
      if (u.pathname !== '/api/start-upload') return;
      starts.push([u.searchParams.get('fileName'), r.status()]);
      if (r.ok() && u.searchParams.get('fileName') === a.name) uploadIdA = (await r.json()).data.uploadId;
    });
    let downAt;
    let wentDown;
    const down = new Promise((r) => { wentDown = r; });
    // parts go to the proxy (s3mpu signs them for its S3 endpoint)
    await page.route((url) => url.href.startsWith(stack.s3Url + '/') && url.searchParams.has('partNumber'),
      async (route) => {
        const part = partOf(new URL(route.request().url()));
        tries.set(part, (tries.get(part) ?? 0) + 1);
        if (part === `${a.name}#2` && !downAt) {
          // part 1 is in S3 (one part at a time): S3 goes away now
          await stack.faults('mode', { mode: 'down' });
          downAt = Date.now();
          wentDown();
        }
        await route.continue();
      });
    try {
      await page.setInputFiles('input[type=file]', [a.path]);
      await down;
      await page.setInputFiles('input[type=file]', [b.path]); // its start-upload meets the outage

      // s3mpu answers clearly while S3 is away: calls that need S3 get 502 JSON
      const [started, completed] = await Promise.all([
        fetch(`${stack.baseUrl}/api/start-upload?fileName=direct.bin`),
        fetch(`${stack.baseUrl}/api/complete-upload`, {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ fileName: a.name, uploadId: uploadIdA, parts: [{ PartNumber: 1, ETag: '"0"' }] }),
        }),
      ]);
      for (const res of [started, completed]) {
        assert.equal(res.status, 502);
        const doc = await res.json();
        assert.deepEqual(Object.keys(doc), ['error']);
        assert.equal(doc.error.code, 'S3Unreachable');
        assert.match(doc.error.message, /^S3 could not be reached: .*\(4 tries\)$/); // no host:port
      }
      assert.ok(Date.now() - downAt < OUTAGE_MS, 'the API was checked during the outage');
      await sleep(downAt + OUTAGE_MS - Date.now());
    } finally {
      await stack.faults('mode', { mode: 'up' });
    }
    const outage = Date.now() - downAt;

    const rows = await finishedRows(page, 2);
    await assertStored(rows, [a, b]);
    assert.equal(tries.get(`${a.name}#1`), 1);
    assert.ok(tries.get(`${a.name}#2`) >= 2, `part 2 was sent again after the outage (${tries.get(`${a.name}#2`)} tries)`);
    const bStarts = starts.filter(([name]) => name === b.name).map(([, status]) => status);
    assert.equal(bStarts[0], 502, `start-upload of ${b.name} met the outage: ${bStarts}`);
    assert.equal(bStarts.at(-1), 200, `and was retried until S3 came back: ${bStarts}`);
    console.log(`S3 down for ${outage} ms; part 2 sent ${tries.get(`${a.name}#2`)} times; ` +
      `start-upload of the file picked meanwhile answered ${bStarts.join(', ')}`);
    await page.close();
  });

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs s3mpu and waits until it is gone; returns its pid. */
async function killS3mpu() {
  const pid = stack.pid();
  process.kill(pid, 'SIGKILL');
  await until(() => !alive(pid), `pid ${pid} to end`);
  return pid;
}

/** Waits until the supervisor has started another s3mpu than old and it answers. */
async function restarted(old) {
  await until(async () => stack.pid() !== old &&
    (await fetch(`${stack.baseUrl}/api/health`)).status === 200, 's3mpu to be started again');
  return stack.pid();
}

test('s3mpu killed with SIGKILL mid-upload is started again by its supervisor; the page finishes',
  { timeout: 120000 }, async () => {
    const file = makeFile('killed.bin', randomBytes(15 * MiB)); // 3 parts
    const page = await openPage();
    let release, held;
    const released = new Promise((r) => { release = r; });
    const holding = new Promise((r) => { held = r; });
    await page.route((url) => url.href.startsWith(stack.s3Url + '/') && partOf(url) === `${file.name}#2`,
      async (route) => {
        held();
        await released; // part 2 waits while s3mpu dies and comes back
        await route.continue();
      });
    const pids = []; // s3mpu's, one after another
    let killedAtComplete;
    const completes = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/api/complete-upload') completes.push(r.status());
    });
    // complete-upload is sent while s3mpu is dead: nginx answers 503, the page retries
    await page.route((url) => url.href.startsWith(stack.baseUrl + '/api/complete-upload'), async (route) => {
      if (!killedAtComplete) killedAtComplete = await killS3mpu();
      await route.continue();
    });

    await page.setInputFiles('input[type=file]', [file.path]);
    await holding;
    pids.push(await killS3mpu());
    const res = await fetch(`${stack.baseUrl}/api/health`);
    assert.equal(res.status, 503, 'nginx has nobody to talk to until the restart');
    assert.equal((await res.json()).error.code, 'ServiceUnavailable');
    pids.push(await restarted(pids[0]));
    release();

    const rows = await finishedRows(page, 1);
    await assertStored(rows, [file]);
    assert.equal(killedAtComplete, pids[1], 'killed once with a part in flight, once as complete-upload was sent');
    pids.push(await restarted(pids[1]));
    assert.equal(new Set(pids).size, 3, `a new s3mpu each time: ${pids}`);
    assert.equal(completes[0], 503, `complete-upload met the dead s3mpu: ${completes}`);
    assert.equal(completes.at(-1), 200, `and was retried: ${completes}`);
    console.log(`s3mpu pids ${pids.join(' → ')}; complete-upload answered ${completes.join(', ')}`);
    await page.close();
  });
