// An upload through the page while s3mpu's temporary credentials rotate: s3mpu
// takes them from instance metadata (tests/lib/credemu.py) that hands out
// credentials living a few seconds, which the S3 gate refuses once expired. The
// parts are sent one at a time and held back, so the upload outlasts the
// credentials it started with: URLs are signed by more than one set of
// credentials, none outlives its own, and the file arrives byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startStack, launchChromium, readObject, sha256, finishedRows, scratchFiles } from './stack.mjs';

const MiB = 1024 * 1024;
const LIFETIME = 12; // seconds: refreshed after about 10
let stack, browser;

before(async () => {
  stack = await startStack({ imdsCredentials: LIFETIME });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('an upload outlasting its credentials finishes across a rotation', { timeout: 180000 }, async () => {
  const bytes = randomBytes(30 * MiB);
  const file = scratchFiles('rotation').makeFile('rotation.bin', bytes).path;
  const page = await browser.newPage();
  await page.goto(stack.baseUrl + '/');
  await page.click('summary');
  await page.fill('#part-size', '5');
  await page.fill('#concurrency', '1');
  const keys = new Set();
  const statuses = [];
  await page.route((url) => url.href.startsWith(stack.s3Url + '/') && url.searchParams.has('partNumber'),
    async (route) => {
      const url = new URL(route.request().url());
      keys.add(url.searchParams.get('X-Amz-Credential').split('/')[0]);
      assert.ok(Number(url.searchParams.get('X-Amz-Expires')) <= LIFETIME, 'no URL outlives its credentials');
      await new Promise((r) => setTimeout(r, 3000)); // a slow link: 6 parts take over 18 s
      await route.continue();
    });
  page.on('response', (r) => {
    if (r.request().method() === 'PUT') statuses.push(r.status());
  });
  const issuedBefore = (await stack.credentialEmulators()).issued.imds;
  await page.setInputFiles('input[type=file]', [file]);
  const [row] = await finishedRows(page, 1);
  assert.equal(row.state, 'done', row.text);
  assert.equal(sha256(await readObject(stack.gateUrl, row.key)), sha256(bytes));
  const issued = (await stack.credentialEmulators()).issued.imds - issuedBefore;
  console.log(`credentials issued during the upload: ${issued}; signing keys seen: ${keys.size}; ` +
    `part PUT statuses: ${statuses.join(' ')}`);
  assert.ok(issued >= 1, 'the credentials rotated during the upload');
  assert.ok(keys.size >= 2, 'parts were signed with more than one set of credentials');
  await page.close();
});
