// Pre-signed URLs that expire: with url_expires of a few seconds and a part held
// back past that, the S3 gate answers 403 "Request has expired" as S3 does; the
// page asks for a freshly signed URL and finishes with the right bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startStack, launchChromium, readObject, sha256, scratchFiles } from './stack.mjs';

const MiB = 1024 * 1024;
// seconds: long enough for a URL to reach S3 in time from a sanitizer build on a
// busy machine (part 1's, and part 2's fresh one), while the held one expires
const EXPIRES = 10;
let stack, browser;

before(async () => {
  stack = await startStack({ env: { S3MPU_URL_EXPIRES: String(EXPIRES) } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('an expired part URL is refused by S3, signed again and sent', { timeout: 120000 }, async () => {
  const bytes = randomBytes(12 * MiB); // parts of 10 MiB and 2 MiB
  const file = scratchFiles('expiry').makeFile('slow-part.bin', bytes).path;
  const page = await browser.newPage();
  await page.goto(stack.baseUrl + '/');
  const tries = [];
  // part 2's first PUT is held back until its URL has expired, as on a slow link
  await page.route((url) => url.href.startsWith(stack.s3Url + '/') && url.searchParams.get('partNumber') === '2',
    async (route) => {
      const query = new URL(route.request().url()).searchParams;
      tries.push(query.get('X-Amz-Expires'));
      if (tries.length === 1) { // until a second after its URL expired
        const signed = Date.parse(query.get('X-Amz-Date').replace(
          /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
        const expired = signed + Number(query.get('X-Amz-Expires')) * 1000;
        await new Promise((r) => setTimeout(r, expired + 1000 - Date.now()));
      }
      await route.continue();
    });
  const statuses = [];
  page.on('response', (r) => {
    if (r.request().method() === 'PUT' && new URL(r.url()).searchParams.get('partNumber') === '2') {
      statuses.push(r.status());
    }
  });
  const before = await stack.gate();
  await page.setInputFiles('input[type=file]', [file]);
  await page.waitForFunction(() => {
    const row = document.querySelector('#uploads li');
    return row && (row.dataset.state === 'done' || row.dataset.state === 'error');
  }, null, { timeout: 90000 });
  const row = await page.$eval('#uploads li', (r) => ({
    state: r.dataset.state, key: r.querySelector('.result').dataset.key, text: r.textContent }));
  assert.equal(row.state, 'done', row.text);
  assert.deepEqual(statuses, [403, 200], 'S3 refused the expired URL, then took the fresh one');
  assert.deepEqual(tries, [String(EXPIRES), String(EXPIRES)], 'url_expires is in both URLs');
  const refused = await stack.refusalsSince(before);
  const expired = refused.filter((r) => r.code === 'AccessDenied' && r.message === 'Request has expired');
  assert.equal(expired.length, 1, JSON.stringify(refused));
  assert.equal(sha256(await readObject(stack.gateUrl, row.key)), sha256(bytes));
  await page.close();
});
