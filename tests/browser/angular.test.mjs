// The Angular example (examples/angular, built by `npm --prefix examples/angular run
// build`; stack.py serves it at /angular/) in headless Chromium against the real
// stack: files picked in the Angular page go up in parts through uploader.js, are read
// back from S3 and compared; cancel aborts in S3; a reload resumes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  REPO, STRICT, startStack, launchChromium, readObject, sha256, finishedRows, openUploads,
  partsInS3, scratchFiles,
} from './stack.mjs';

const MiB = 1024 * 1024;
const built = existsSync(path.join(REPO, 'examples/angular/dist/browser/index.html'));
// skipped, and said so, only when the app has not been built (scripts/check builds it)
const skip = !built && 'examples/angular has not been built: run  npm --prefix examples/angular ci && ' +
  'npm --prefix examples/angular run build';
let stack, browser;
const { makeFile } = scratchFiles('angular');
const results = path.join(REPO, 'test-results');

before(async () => {
  if (!built) return;
  stack = await startStack({ env: STRICT });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** The Angular page, once Angular has rendered it. */
async function openPage() {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  // the app runs under the site's Content-Security-Policy: a violation is an error too
  await page.exposeFunction('cspViolation', (v) => errors.push(`CSP violation: ${v}`));
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation',
    (e) => window.cspViolation(`${e.effectiveDirective} ${e.blockedURI}`)));
  const res = await page.goto(stack.baseUrl + '/angular/');
  assert.match(res.headers()['content-security-policy'], /^default-src 'self'; connect-src 'self' http:/);
  await page.waitForSelector('app-root input[type=file][multiple]');
  page.errors = errors;
  return page;
}

/** Part numbers of the PUTs the page sends to S3 for a key. */
function countPuts(page, key) {
  const puts = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (r.method() === 'PUT' && decodeURIComponent(u.pathname).endsWith('/' + key)) {
      puts.push(Number(u.searchParams.get('partNumber')));
    }
  });
  return puts;
}

test('a 21 MiB file and a UTF-8-named file go up from the Angular page, byte for byte',
  { skip, timeout: 180000 }, async () => {
    const big = makeFile('angular-21MiB.bin', randomBytes(21 * MiB));
    const small = makeFile('Ängülar ✓ naïve Ελληνικά + 100%.txt', Buffer.from('grüße aus Angular\n'.repeat(500)));
    const page = await openPage();
    assert.equal(await page.title(), 'Upload to S3 — s3mpu (Angular)');
    assert.equal(await page.evaluate(() => document.baseURI), `${stack.baseUrl}/angular/`);
    const bigPuts = countPuts(page, big.name);
    const smallPuts = countPuts(page, small.name);
    const signings = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/get-upload-urls' && u.searchParams.get('fileName') === big.name) signings.push(u);
    });

    await page.setInputFiles('input[type=file]', [big.path, small.path]);
    const rows = await finishedRows(page, 2);
    for (const f of [big, small]) {
      const row = rows.find((r) => r.name === f.name);
      assert.ok(row, `a row for ${f.name}`);
      assert.equal(row.state, 'done', `${f.name}: ${row.text}`);
      assert.equal(row.key, f.name);
      assert.equal(row.text, `Stored as ${f.name}`);
      assert.equal(row.progress, 1);
      const stored = await readObject(stack.gateUrl, row.key);
      assert.equal(stored.length, f.size, `${f.name} size`);
      assert.equal(sha256(stored), f.sha, `${f.name} SHA-256`);
    }
    // 10 MiB parts: 10 + 10 + 1 MiB, signed in batches (a batch signs the parts
    // already hashed, so how many batches depends on the timing), each part once
    assert.deepEqual(bigPuts.sort(), [1, 2, 3]);
    assert.deepEqual(smallPuts, [1]);
    const signed = signings.flatMap((u) => u.searchParams.get('partNumbers').split(','));
    assert.ok(signings.length >= 1 && signings.length <= 3, `${signings.length} get-upload-urls calls`);
    assert.deepEqual(signed.sort(), ['1', '2', '3'], 'each part signed once, by get-upload-urls');
    assert.deepEqual(await page.$$eval('#uploads li .status', (s) => s.map((e) => e.textContent)), ['Done', 'Done']);
    assert.match(await page.textContent('#uploads li .figures'), /^21 MiB of 21 MiB · 100%$/);
    assert.deepEqual(page.errors, []);

    mkdirSync(results, { recursive: true });
    const shot = path.join(results, 'angular-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot of the Angular page: ${shot}`);
    await page.close();
  });

test('Cancel in the Angular page aborts the upload in S3', { skip, timeout: 120000 }, async () => {
  const file = makeFile('angular-cancelled.bin', randomBytes(12 * MiB));
  const page = await openPage();
  // the parts hang, so the upload is surely under way when Cancel is clicked
  await page.route((url) => url.href.startsWith(stack.s3Url) && url.searchParams.has('partNumber'), () => {});
  const started = page.waitForRequest((r) => r.method() === 'PUT');
  await page.setInputFiles('input[type=file]', [file.path]);
  await started;
  const [uploadId] = openUploads(stack.gateUrl, file.name);
  assert.ok(uploadId, 'the upload is open in S3');
  await page.waitForSelector('#uploads li[data-state=uploading]');
  assert.match(await page.textContent('#uploads li .figures'), /^\S+ \S+ of 12 MiB · \d+% · \S+ \S+\/s · .+ left$/);

  await page.getByRole('button', { name: `Cancel upload of ${file.name}` }).click();
  const [row] = await finishedRows(page, 1);
  assert.equal(row.state, 'error');
  assert.equal(row.code, 'Cancelled');
  assert.equal(await page.textContent('#uploads li .status'), 'Cancelled');
  assert.equal(await page.isDisabled('#uploads li .cancel'), true);
  for (let i = 0; i < 50 && openUploads(stack.gateUrl, file.name).length; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(openUploads(stack.gateUrl, file.name), [], 'no multipart upload left in S3');
  assert.throws(() => partsInS3(stack.gateUrl, file.name, uploadId), /NoSuchUpload/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a reloaded Angular page resumes: only the missing parts are sent again', { skip, timeout: 180000 }, async () => {
  const file = makeFile('angular-resumed.bin', randomBytes(21 * MiB)); // parts of 10, 10 and 1 MiB
  const page = await openPage();
  // parts 2 and 3 hang, as on a connection that dropped mid-upload
  const hang = (url) => url.href.startsWith(stack.s3Url) && Number(url.searchParams.get('partNumber')) >= 2;
  await page.route(hang, () => {});
  const part1 = page.waitForResponse((r) => r.request().method() === 'PUT' &&
    new URL(r.url()).searchParams.get('partNumber') === '1' && r.status() === 200);
  await page.setInputFiles('input[type=file]', [file.path]);
  await part1;
  const [uploadId] = openUploads(stack.gateUrl, file.name);
  assert.ok(uploadId, 'the upload is open in S3');

  await page.reload(); // drops the hanging PUTs, as closing the tab would
  await page.waitForSelector('app-root input[type=file][multiple]');
  await page.unroute(hang);
  const inS3 = partsInS3(stack.gateUrl, file.name, uploadId);
  assert.deepEqual(inS3, [1], 'S3 holds part 1 when the page comes back');

  const puts = countPuts(page, file.name);
  const listParts = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/list-parts') listParts.push(r.url()); });
  await page.setInputFiles('input[type=file]', [file.path]);
  const [row] = await finishedRows(page, 1);
  assert.equal(row.state, 'done', row.text);
  assert.equal(listParts.length, 1, 'the remembered upload was looked up');
  assert.deepEqual(puts.sort(), [2, 3], 'exactly the missing parts were sent');
  assert.equal(sha256(await readObject(stack.gateUrl, row.key)), file.sha);
  assert.deepEqual(openUploads(stack.gateUrl, file.name), []);
  console.log(`resumed upload re-sent parts ${puts.join(', ')} of 3`);
  assert.deepEqual(page.errors, []);
  await page.close();
});
