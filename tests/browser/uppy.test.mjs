// Uppy's own @uppy/aws-s3 (from npm, bundled here with esbuild) pointed at s3mpu with
// `companionEndpoint`, in headless Chromium against the real stack: files go up
// through s3mpu's Companion routes and are read back from S3 and compared.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, cpSync, chmodSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import {
  REPO, STRICT, startStack, launchChromium, readObject, sha256, headObject, decodeMetadata,
} from './stack.mjs';

const MiB = 1024 * 1024;
const tmp = mkdtempSync(path.join(os.tmpdir(), 's3mpu-uppy-'));
const www = path.join(tmp, 'www');
let stack, browser;

function makeFile(name, bytes) {
  const p = path.join(tmp, name);
  writeFileSync(p, bytes);
  return { path: p, name, sha: sha256(bytes) };
}

before(async () => {
  chmodSync(tmp, 0o755); // nginx's workers (nobody) serve the page from here
  mkdirSync(www);
  for (const f of ['index.html', 'page.js']) cpSync(path.join(REPO, 'tests/browser/uppy', f), path.join(www, f));
  await build({
    entryPoints: [path.join(REPO, 'tests/browser/uppy/entry.js')],
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    outfile: path.join(www, 'uppy.bundle.js'), logLevel: 'warning',
  });
  stack = await startStack({ www, env: STRICT });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function uploadWithUppy(query, files) {
  const page = await browser.newPage();
  const routes = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) routes.push(`${r.method()} ${u.pathname}`);
  });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  // the site's Content-Security-Policy applies to this page too: nothing may break it
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  await page.goto(`${stack.baseUrl}/${query}`);
  await page.setInputFiles('#files', files.map((f) => f.path));
  await page.waitForFunction(() => window.uppyResult, null, { timeout: 120000 });
  const result = await page.evaluate(() => window.uppyResult);
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  await page.close();
  return { result, routes };
}

const TYPES = { '.bin': 'application/octet-stream', '.txt': 'text/plain', '.png': 'image/png' };

/** Each file read back: its bytes, Uppy's type as Content-Type, and Uppy's metadata
 * (the file's name and type) as x-amz-meta-*. */
async function checkStored(result, files) {
  assert.deepEqual(result.failed, []);
  for (const f of files) {
    const ok = result.successful.find((s) => s.name === f.name);
    assert.ok(ok, `${f.name} uploaded`);
    const stored = await readObject(stack.gateUrl, f.name);
    assert.equal(sha256(stored), f.sha, `${f.name} SHA-256`);
    const head = headObject(stack.gateUrl, f.name);
    const type = TYPES[path.extname(f.name)];
    assert.equal(head.ContentType, type, `${f.name} Content-Type`);
    const metadata = Object.fromEntries(Object.entries(head.Metadata).map(([k, v]) => [k, decodeMetadata(v)]));
    assert.deepEqual(metadata, { name: f.name, type }, `${f.name} metadata`);
  }
}

test('@uppy/aws-s3 with default options uploads through s3mpu', { timeout: 180000 }, async () => {
  const files = [makeFile('uppy-default-25MiB.bin', randomBytes(25 * MiB)),
    makeFile('uppy small 3KiB.txt', randomBytes(3 * 1024)), makeFile('uppy photo ünï.png', randomBytes(700))];
  const { result, routes } = await uploadWithUppy('', files);
  await checkStored(result, files);
  // Uppy 6 sends files under 100 MiB as one pre-signed POST
  assert.equal(routes.filter((r) => r === 'GET /api/s3/params').length, 3, routes.join('\n'));
});

test('@uppy/aws-s3 multipart goes through the Companion multipart routes', { timeout: 180000 }, async () => {
  const files = [makeFile('uppy-multipart-25MiB.bin', randomBytes(25 * MiB)),
    makeFile('uppy multipart 3KiB.txt', randomBytes(3 * 1024)), makeFile('uppy multipart ünï.png', randomBytes(700))];
  const { result, routes } = await uploadWithUppy('?multipart=1', files);
  await checkStored(result, files);
  assert.equal(routes.filter((r) => r === 'POST /api/s3/multipart').length, 3, routes.join('\n'));
  assert.ok(routes.some((r) => /^POST \/api\/s3\/multipart\/[^/]+\/complete$/.test(r)), routes.join('\n'));
  assert.ok(routes.filter((r) => /^GET \/api\/s3\/multipart\/[^/]+\/\d+$/.test(r)).length >= 3);
});
