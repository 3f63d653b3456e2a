// The upload page in headless Chromium against the real stack: files picked in
// the page, uploaded in parts straight to the S3 emulator, read back and compared.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { randomBytes, createHash } from 'node:crypto';
import path from 'node:path';
import {
  REPO, STRICT, startStack, launchChromium, readObject, sha256, setBucketCors, finishedRows,
  openUploads, partsInS3, headObject, decodeMetadata, scratchFiles,
} from './stack.mjs';

const MiB = 1024 * 1024;
let stack, browser;
const { makeFile } = scratchFiles('browser');
const results = path.join(REPO, 'test-results');

const b64sha256 = (buf) => createHash('sha256').update(buf).digest('base64');

before(async () => {
  stack = await startStack({ env: STRICT });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function openPage() {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(stack.baseUrl + '/');
  return page;
}

test('uploads several files at once, byte for byte', { timeout: 180000 }, async () => {
  const files = [
    makeFile('big-25MiB.bin', randomBytes(25 * MiB)),
    makeFile('empty.bin', Buffer.alloc(0)),
    makeFile('one-byte.bin', Buffer.from('x')),
    makeFile('Ünïcödé name with spaces ✓ + 100%.txt', Buffer.from('hello, wörld\n'.repeat(1000))),
    makeFile('picture.png', randomBytes(2000)),
  ];
  const types = { '.bin': 'application/octet-stream', '.txt': 'text/plain', '.png': 'image/png' };
  const page = await openPage();
  const puts = [];
  const sentSums = new Map(); // URL → the x-amz-checksum-sha256 header the page sent
  const apiCalls = [];
  page.on('request', (r) => {
    if (r.method() === 'PUT') {
      puts.push(r.url());
      sentSums.set(r.url(), r.headers()['x-amz-checksum-sha256']);
    }
    if (new URL(r.url()).pathname.startsWith('/api/')) apiCalls.push(r.url() + ' ' + (r.postData() ?? ''));
  });
  await page.setInputFiles('input[type=file]', files.map((f) => f.path));
  const rows = await finishedRows(page, files.length);

  for (const f of files) {
    const row = rows.find((r) => r.name === f.name);
    assert.ok(row, `a row for ${f.name}`);
    assert.equal(row.state, 'done', `${f.name}: ${row.text}`);
    assert.equal(row.key, f.name);
    assert.equal(row.progress, 1);
    const stored = await readObject(stack.gateUrl, row.key);
    assert.equal(stored.length, f.size, `${f.name} size`);
    assert.equal(sha256(stored), f.sha, `${f.name} SHA-256`);
    // the File's type as the object's Content-Type, its name as metadata
    const head = headObject(stack.gateUrl, row.key);
    assert.equal(head.ContentType, types[path.extname(f.name)], `${f.name} Content-Type`);
    assert.deepEqual(Object.keys(head.Metadata), ['name']);
    assert.equal(decodeMetadata(head.Metadata.name), f.name);
    // every part checked by S3 against the browser's SHA-256: the composite of them
    assert.equal(row.verified, 'true', `${f.name}: ${row.verifiedText}`);
    assert.equal(row.verifiedText, 'verified by S3');
    const parts = [];
    for (let at = 0; at < f.size || parts.length === 0; at += 10 * MiB) parts.push(f.bytes.subarray(at, at + 10 * MiB));
    const composite = createHash('sha256').update(Buffer.concat(parts.map((p) => createHash('sha256').update(p).digest())))
      .digest('base64') + `-${parts.length}`;
    assert.deepEqual([head.ChecksumSHA256, head.ChecksumType], [composite, 'COMPOSITE'], f.name);
  }
  // 25 MiB in 10 MiB parts is 3 PUTs; each other file is one part
  assert.equal(puts.filter((u) => u.includes('big-25MiB.bin')).length, 3);
  assert.equal(puts.length, 7);
  // each part's size and SHA-256 are signed into its URL (S3 refuses a body of another
  // size, or other bytes), the checksum as a header, never in the query
  for (const u of puts) {
    assert.match(u, /X-Amz-SignedHeaders=content-length%3Bhost%3Bx-amz-checksum-sha256&/, u);
    assert.doesNotMatch(u, /x-amz-checksum-sha256=/i, u);
  }
  const big = files[0];
  const bigSums = puts.filter((u) => u.includes('big-25MiB.bin'))
    .map((u) => [Number(new URL(u).searchParams.get('partNumber')), sentSums.get(u)]).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(bigSums, [1, 2, 3].map((n) => [n, b64sha256(big.bytes.subarray((n - 1) * 10 * MiB, n * 10 * MiB))]));
  // batch signing: start, one get-upload-urls for the 3 parts, complete
  const bigCalls = apiCalls.filter((c) => c.includes('big-25MiB.bin'));
  assert.equal(bigCalls.length, 3, bigCalls.join('\n'));
  assert.equal(bigCalls.filter((c) => c.includes('/api/get-upload-urls?')).length, 1);
  console.log(`API requests for the 25 MiB file (3 parts): ${bigCalls.length}`);
  const overall = await page.$eval('#overall', (p) => p.value);
  assert.equal(overall, 1);
  assert.match(await page.textContent('#overall-text'), /finished/);

  mkdirSync(results, { recursive: true });
  const shot = path.join(results, 'upload-page.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot of the finished page: ${shot}`);
  await page.close();
});

test('a part whose first PUT fails is retried with a fresh URL', { timeout: 120000 }, async () => {
  const file = makeFile('retried-part.bin', randomBytes(12 * MiB));
  const page = await openPage();
  const tries = [];
  const signings = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/get-upload-urls' &&
        u.searchParams.get('partNumbers').split(',').includes('2')) signings.push(u);
  });
  await page.route((url) => url.href.startsWith(stack.s3Url) && url.searchParams.get('partNumber') === '2',
    async (route) => {
      tries.push(route.request().url());
      if (tries.length === 1) await route.abort('connectionreset');
      else await route.continue();
    });
  await page.setInputFiles('input[type=file]', [file.path]);
  const [row] = await finishedRows(page, 1);
  assert.equal(row.state, 'done', row.text);
  assert.equal(tries.length, 2, 'part 2 was sent twice');
  assert.equal(signings.length, 2, 'the retry asked for a freshly signed URL');
  const stored = await readObject(stack.gateUrl, row.key);
  assert.equal(sha256(stored), file.sha);
  await page.close();
});

test('a part changed on its way gets BadDigest from S3 and is sent again from the file',
  { timeout: 120000 }, async () => {
    const file = makeFile('corrupted-on-the-way.bin', randomBytes(12 * MiB)); // parts of 10 and 2 MiB
    const page = await openPage();
    const statuses = [];
    const signings = [];
    page.on('response', (r) => {
      if (r.request().method() === 'PUT' && new URL(r.url()).searchParams.get('partNumber') === '1') {
        statuses.push(r.status());
      }
    });
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/get-upload-urls' && u.searchParams.get('partNumbers').split(',').includes('1')) {
        signings.push(u);
      }
    });
    let sent = 0;
    // the first PUT of part 1 carries its bytes with one bit flipped, its checksum as it was
    await page.route((url) => url.href.startsWith(stack.s3Url + '/') && url.searchParams.get('partNumber') === '1',
      async (route) => {
        if (route.request().method() !== 'PUT' || sent++) return route.continue();
        const body = Buffer.from(file.bytes.subarray(0, 10 * MiB));
        body[4242] ^= 0x04;
        await route.continue({ postData: body });
      });
    const before = await stack.gate();
    await page.setInputFiles('input[type=file]', [file.path]);
    const [row] = await finishedRows(page, 1);
    assert.equal(row.state, 'done', row.text);
    assert.deepEqual(statuses, [400, 200], 'S3 refused the changed part, then took it from the file');
    const refused = await stack.refusalsSince(before);
    assert.deepEqual(refused.map((r) => r.code), ['BadDigest'], JSON.stringify(refused));
    assert.equal(signings.length, 2, 'the part went again with a freshly signed URL');
    assert.equal(sha256(await readObject(stack.gateUrl, row.key)), file.sha, 'no changed byte in the object');
    assert.equal(row.verified, 'true');
    await page.close();
  });

test('?checksums=0 sends parts without checksums, and says they were not verified', { timeout: 60000 }, async () => {
  const file = makeFile('unchecked.bin', randomBytes(1000));
  const page = await browser.newPage();
  await page.goto(stack.baseUrl + '/?checksums=0');
  const puts = [];
  page.on('request', (r) => { if (r.method() === 'PUT') puts.push(r); });
  await page.setInputFiles('input[type=file]', [file.path]);
  const [row] = await finishedRows(page, 1);
  assert.equal(row.state, 'done', row.text);
  assert.equal(row.verified, 'false');
  assert.equal(row.verifiedText, 'not verified: sent without part checksums');
  assert.match(puts[0].url(), /X-Amz-SignedHeaders=content-length%3Bhost&/);
  assert.equal(puts[0].headers()['x-amz-checksum-sha256'], undefined);
  assert.equal(sha256(await readObject(stack.gateUrl, row.key)), file.sha);
  await page.close();
});

test('a plain-http page on a LAN name has no WebCrypto: files go, marked not verified',
  { timeout: 60000 }, async () => {
    // the same stack under another name, which Chromium does not count as a secure context
    const lan = await launchChromium({ args: ['--host-resolver-rules=MAP uploads.lan 127.0.0.1'] });
    const origin = stack.baseUrl.replace('127.0.0.1', 'uploads.lan');
    await setBucketCors(stack.gateUrl, origin);
    try {
      const file = makeFile('from-the-lan.txt', Buffer.from('lan\n'));
      const page = await lan.newPage();
      await page.goto(origin + '/');
      assert.equal(await page.evaluate(() => [isSecureContext, typeof crypto.subtle].join()), 'false,undefined');
      await page.setInputFiles('input[type=file]', [file.path]);
      const [row] = await finishedRows(page, 1);
      assert.equal(row.state, 'done', row.text);
      assert.equal(row.verified, 'false');
      assert.equal(row.verifiedText, 'not verified: part checksums need a secure (https) page');
      assert.equal(sha256(await readObject(stack.gateUrl, row.key)), file.sha);
      assert.equal(headObject(stack.gateUrl, row.key).ContentType, 'text/plain');
    } finally {
      await lan.close();
      await setBucketCors(stack.gateUrl, stack.baseUrl);
    }
  });

test('a part that keeps failing fails its file, with the reason; other files carry on',
  { timeout: 120000 }, async () => {
    const doomed = makeFile('doomed.bin', randomBytes(1000));
    const fine = makeFile('fine.bin', randomBytes(6 * MiB));
    const page = await openPage();
    let tries = 0;
    await page.route((url) => url.href.startsWith(stack.s3Url) && url.pathname.endsWith('/doomed.bin') &&
      url.searchParams.has('partNumber'), async (route) => {
      tries++;
      await route.fulfill({ status: 503, body: 'SlowDown',
        headers: { 'Access-Control-Allow-Origin': stack.baseUrl } });
    });
    await page.setInputFiles('input[type=file]', [doomed.path, fine.path]);
    const rows = await finishedRows(page, 2);
    const bad = rows.find((r) => r.name === 'doomed.bin');
    const good = rows.find((r) => r.name === 'fine.bin');
    assert.equal(bad.state, 'error');
    assert.match(bad.text, /503/);
    assert.equal(tries, 5, 'one try and four retries');
    assert.equal(good.state, 'done', good.text);
    assert.equal(sha256(await readObject(stack.gateUrl, good.key)), fine.sha);
    await page.close();
  });

test('a bucket whose CORS hides ETag gets an explanation', { timeout: 120000 }, async () => {
  await setBucketCors(stack.gateUrl, stack.baseUrl, { exposeEtag: false });
  try {
    const file = makeFile('no-etag.bin', Buffer.from('abc'));
    const page = await openPage();
    await page.setInputFiles('input[type=file]', [file.path]);
    const [row] = await finishedRows(page, 1);
    assert.equal(row.state, 'error');
    assert.equal(row.code, 'ETagNotExposed');
    assert.match(row.text, /ExposeHeaders/);
    assert.match(row.text, /CORS/);
    await page.close();
  } finally {
    await setBucketCors(stack.gateUrl, stack.baseUrl, { exposeEtag: true });
  }
});

test('an HTML or SVG file picked fails with the reason; nothing is started in S3', { timeout: 60000 },
  async () => {
    // the page sends File.type (from the extension) as contentType; by default s3mpu
    // refuses what browsers would run from the bucket as a page (issue 15, finding 6)
    const files = [makeFile('page.html', Buffer.from('<script>alert(document.domain)</script>')),
      makeFile('drawing.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')),
      makeFile('notes.txt', Buffer.from('plain text\n'))];
    const page = await openPage();
    await page.setInputFiles('input[type=file]', files.map((f) => f.path));
    const rows = await finishedRows(page, 3);
    for (const [name, type] of [['page.html', 'text/html'], ['drawing.svg', 'image/svg+xml']]) {
      const row = rows.find((r) => r.name === name);
      assert.equal(row.state, 'error', `${name}: ${row.text}`);
      assert.equal(row.code, 'ContentTypeNotAllowed');
      assert.ok(row.text.includes(`files of type ${type} are not taken here`), row.text);
      assert.match(row.text, /web pages or scripts/);
      assert.deepEqual(openUploads(stack.gateUrl, name), [], `no upload of ${name} in S3`);
    }
    const txt = rows.find((r) => r.name === 'notes.txt');
    assert.equal(txt.state, 'done', txt.text);
    assert.equal(headObject(stack.gateUrl, txt.key).ContentType, 'text/plain');
    await page.close();
  });

test('the page is operable with the keyboard and labelled', { timeout: 60000 }, async () => {
  const page = await openPage();
  assert.equal(await page.locator('input[type=file][multiple]').count(), 1);
  // the file input has a label, the progress bars have accessible names
  assert.equal(await page.getByLabel('or choose them').count(), 1);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'files');
  const file = makeFile('keyboard.txt', Buffer.from('k'));
  await page.bringToFront();
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser', { timeout: 10000 }),
    page.locator('#files').press('Space'),
  ]);
  await chooser.setFiles([file.path]);
  const [row] = await finishedRows(page, 1);
  assert.equal(row.state, 'done', row.text);
  assert.equal(await page.getByRole('progressbar', { name: 'Upload of keyboard.txt' }).count(), 1);
  await page.close();
});

test('a reloaded page resumes: only the missing parts are sent again', { timeout: 180000 }, async () => {
  const file = makeFile('resumed.bin', randomBytes(21 * MiB)); // 5 parts of 5 MiB, the last 1 MiB
  const page = await openPage();
  await page.click('summary');
  await page.fill('#part-size', '5');
  // parts 3 and later hang, as on a connection that dropped mid-upload
  const hang = (url) => url.href.startsWith(stack.s3Url) && Number(url.searchParams.get('partNumber')) >= 3;
  await page.route(hang, () => {});
  const done12 = Promise.all([1, 2].map((n) => page.waitForResponse((r) =>
    r.request().method() === 'PUT' && new URL(r.url()).searchParams.get('partNumber') === String(n) &&
    r.status() === 200)));
  await page.setInputFiles('input[type=file]', [file.path]);
  await done12;
  const [uploadId] = openUploads(stack.gateUrl, 'resumed.bin');
  assert.ok(uploadId, 'the upload is open in S3');

  await page.reload(); // drops the hanging PUTs, as closing the tab would
  await page.unroute(hang);
  const inS3 = partsInS3(stack.gateUrl, 'resumed.bin', uploadId);
  assert.deepEqual(inS3.sort(), [1, 2], 'S3 holds parts 1 and 2 when the page comes back');
  const puts = [];
  page.on('request', (r) => {
    if (r.method() === 'PUT') puts.push(Number(new URL(r.url()).searchParams.get('partNumber')));
  });
  await page.click('summary');
  await page.fill('#part-size', '10'); // the remembered part size wins over a new setting
  await page.setInputFiles('input[type=file]', [file.path]);
  const [row] = await finishedRows(page, 1);
  assert.equal(row.state, 'done', row.text);
  assert.deepEqual(puts.sort(), [3, 4, 5], 'exactly the missing parts were sent');
  assert.equal(sha256(await readObject(stack.gateUrl, row.key)), file.sha);
  assert.deepEqual(openUploads(stack.gateUrl, 'resumed.bin'), []);
  console.log(`resumed upload re-sent parts ${puts.join(', ')} of 5`);
  await page.close();
});

test('cancel aborts the upload in S3', { timeout: 120000 }, async () => {
  const file = makeFile('cancelled.bin', randomBytes(12 * MiB));
  const page = await openPage();
  await page.route((url) => url.href.startsWith(stack.s3Url) && url.searchParams.has('partNumber'), () => {});
  const started = page.waitForRequest((r) => r.method() === 'PUT');
  await page.setInputFiles('input[type=file]', [file.path]);
  await started;
  assert.equal(openUploads(stack.gateUrl, 'cancelled.bin').length, 1);
  await page.getByRole('button', { name: 'Cancel upload of cancelled.bin' }).click();
  const [row] = await finishedRows(page, 1);
  assert.equal(row.state, 'error');
  assert.match(await page.textContent('#uploads li .status'), /Cancelled/);
  for (let i = 0; i < 50 && openUploads(stack.gateUrl, 'cancelled.bin').length; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(openUploads(stack.gateUrl, 'cancelled.bin'), [], 'no multipart upload left in S3');
  await page.close();
});

/** Opens the page with 5 MiB parts, one part in flight, and every part PUT held by
 * the test until a signing has covered the file's last part: then the held part has
 * later parts whose URLs wait, signed, in the page (what a stopped upload must not
 * use). Resolves with the held part's route and number; `log` gets 'PUT n' for every
 * part PUT started and 'abort-upload' for that API call, in order. */
async function holdOnceAllSigned(file, parts, log) {
  const page = await openPage();
  await page.click('summary');
  await page.fill('#part-size', '5');
  await page.fill('#concurrency', '1');
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (r.method() === 'PUT' && u.searchParams.has('partNumber')) log.push(`PUT ${u.searchParams.get('partNumber')}`);
    if (u.pathname === '/api/abort-upload') log.push('abort-upload');
  });
  let allSigned = false;
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/get-upload-urls' && u.searchParams.get('partNumbers').split(',').includes(String(parts))) {
      allSigned = true;
    }
  });
  let found;
  const held = new Promise((resolve) => { found = resolve; });
  let passing = false; // once the test has its held part, later PUTs go through
  await page.route((url) => url.href.startsWith(stack.s3Url) && url.searchParams.has('partNumber'), (route) => {
    if (route.request().method() !== 'PUT' || passing) return route.continue();
    const n = Number(new URL(route.request().url()).searchParams.get('partNumber'));
    if (!allSigned) return route.continue();
    passing = true;
    found({ route, n });
  });
  await page.setInputFiles('input[type=file]', [file.path]);
  return { page, ...(await held) };
}

test('Cancel stops the upload at once: no part is sent after the click, the abort goes first',
  { timeout: 120000 }, async () => {
    const file = makeFile('cancel-midway.bin', randomBytes(40 * MiB)); // 8 parts of 5 MiB
    const log = [];
    const { page, n } = await holdOnceAllSigned(file, 8, log);
    assert.ok(n <= 6, `part ${n} is out with later parts signed and waiting`);
    log.push('Cancel');
    await page.getByRole('button', { name: `Cancel upload of ${file.name}` }).click();
    const [row] = await finishedRows(page, 1);
    assert.equal(row.state, 'error');
    assert.equal(row.code, 'Cancelled');
    const after = log.slice(log.indexOf('Cancel') + 1);
    assert.deepEqual(after, ['abort-upload'], `after Cancel: ${after.join(', ')}`);
    assert.deepEqual(openUploads(stack.gateUrl, file.name), [], 'no multipart upload left in S3');
    await page.close();
  });

test('a part failing for good stops its file: no other part is sent after it', { timeout: 120000 }, async () => {
  const file = makeFile('fails-midway.bin', randomBytes(40 * MiB)); // 8 parts of 5 MiB
  const log = [];
  const { page, route, n } = await holdOnceAllSigned(file, 8, log);
  assert.ok(n <= 6, `part ${n} is out with later parts signed and waiting`);
  log.push('failed');
  await route.fulfill({ status: 400, contentType: 'application/xml',
    body: '<Error><Code>InvalidArgument</Code><Message>a refusal no retry mends</Message></Error>',
    headers: { 'Access-Control-Allow-Origin': stack.baseUrl } });
  const [row] = await finishedRows(page, 1);
  assert.equal(row.state, 'error');
  assert.equal(row.code, 'S3HTTP400', row.text);
  assert.match(row.text, /a refusal no retry mends \(InvalidArgument\)/);
  const after = log.slice(log.indexOf('failed') + 1);
  assert.deepEqual(after, [], `after the failure: ${after.join(', ')}`);
  const [uploadId] = openUploads(stack.gateUrl, file.name);
  const sent = Array.from({ length: n - 1 }, (_, i) => i + 1);
  assert.deepEqual(partsInS3(stack.gateUrl, file.name, uploadId).sort((a, b) => a - b), sent,
    'S3 holds the parts sent before the failure, none after it (the upload stays to be resumed)');
  await page.close();
});

/** Runs before the page's scripts: says the machine has `cores` cores, and counts the
 * parts the page holds in memory to hash them, from the read (Blob.arrayBuffer) to
 * the end of their digest (crypto.subtle.digest), in window.hashing. Each digest
 * takes 300 ms more, as on a slow machine, so that the files' hashing overlaps. */
function countHashing(cores) {
  Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => cores });
  const h = window.hashing = { parts: 0, bytes: 0, maxParts: 0, maxBytes: 0, digests: 0 };
  const read = Blob.prototype.arrayBuffer;
  Blob.prototype.arrayBuffer = function arrayBuffer() {
    h.parts++;
    h.bytes += this.size;
    h.maxParts = Math.max(h.maxParts, h.parts);
    h.maxBytes = Math.max(h.maxBytes, h.bytes);
    return read.call(this);
  };
  const digest = SubtleCrypto.prototype.digest;
  SubtleCrypto.prototype.digest = function (algorithm, data) {
    return digest.call(this, algorithm, data).then((d) => new Promise((r) => setTimeout(r, 300, d))).finally(() => {
      h.parts--;
      h.bytes -= data.byteLength;
      h.digests++;
    });
  };
}

for (const { cores, partMiB, fileMiB, files, concurrency } of [
  { cores: 2, partMiB: 5, fileMiB: 15, files: 4, concurrency: 2 }, // bound by the cores
  { cores: 8, partMiB: 20, fileMiB: 40, files: 3, concurrency: 4 }, // bound by the 64 MiB
]) {
  test(`hashing holds at most ${cores} parts and 64 MiB over all files, picked at once or apart ` +
    `(${partMiB} MiB parts, ${cores} cores)`, { timeout: 180000 }, async () => {
    const picked = Array.from({ length: files }, (_, i) =>
      makeFile(`hashed-${cores}-${i}.bin`, randomBytes(fileMiB * MiB)));
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.addInitScript(countHashing, cores);
    await page.goto(stack.baseUrl + '/');
    await page.click('summary');
    await page.fill('#part-size', String(partMiB));
    await page.fill('#concurrency', String(concurrency));
    let out = 0, maxOut = 0;
    const isPart = (r) => r.method() === 'PUT' && new URL(r.url()).searchParams.has('partNumber');
    page.on('request', (r) => { if (isPart(r)) maxOut = Math.max(maxOut, ++out); });
    // a part's slot is free once its answer came (the page sends the next one then)
    page.on('response', (r) => { if (isPart(r.request())) out--; });
    page.on('requestfailed', (r) => { if (isPart(r)) out--; });
    // two picks: one Uploader for the page keeps its limits over both
    await page.setInputFiles('input[type=file]', picked.slice(0, 2).map((f) => f.path));
    await page.setInputFiles('input[type=file]', picked.slice(2).map((f) => f.path));
    const rows = await finishedRows(page, files);
    for (const row of rows) assert.equal(row.state, 'done', `${row.name}: ${row.text}`);
    const h = await page.evaluate(() => window.hashing);
    console.log(`hashing at most ${h.maxParts} parts, ${h.maxBytes / MiB} MiB at once; ${maxOut} PUTs out at once`);
    assert.equal(h.digests, files * fileMiB / partMiB, 'each part hashed once');
    assert.ok(h.maxParts <= cores, `${h.maxParts} parts hashed at once on ${cores} cores`);
    assert.ok(h.maxBytes <= 64 * MiB, `${h.maxBytes / MiB} MiB held for hashing at once`);
    assert.ok(maxOut <= concurrency, `${maxOut} parts in flight, with ${concurrency} parallel parts set`);
    await page.close();
  });
}

test("Cancel of a file waiting for a slot does not wait for another file's part", { timeout: 60000 }, async () => {
  const busy = makeFile('holds-the-slot.bin', randomBytes(6 * MiB));
  const waiting = makeFile('waits-for-a-slot.bin', randomBytes(1000));
  const page = await openPage();
  await page.click('summary');
  await page.fill('#concurrency', '1');
  // the first file's part hangs, so it keeps the one slot
  await page.route((url) => url.href.startsWith(stack.s3Url) && url.pathname.endsWith(`/${busy.name}`) &&
    url.searchParams.has('partNumber'), () => {});
  const out = page.waitForRequest((r) => r.method() === 'PUT');
  await page.setInputFiles('input[type=file]', [busy.path]);
  await out;
  await page.setInputFiles('input[type=file]', [waiting.path]);
  const second = page.locator('#uploads li').nth(1);
  await second.locator('xpath=self::*[@data-state="uploading"]').waitFor();
  await page.getByRole('button', { name: `Cancel upload of ${waiting.name}` }).click();
  await second.locator('xpath=self::*[@data-state="error"]').waitFor({ timeout: 20000 });
  assert.equal(await second.locator('.status').textContent(), 'Cancelled');
  assert.deepEqual(openUploads(stack.gateUrl, waiting.name), [], 'its upload is aborted in S3');
  assert.equal(await page.locator('#uploads li').first().getAttribute('data-state'), 'uploading');
  await page.close();
});
