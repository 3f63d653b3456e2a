// What another site, or a link, can make a signed-in user's browser do (issue 15),
// in headless Chromium against the real stack. Other sites are small HTTP servers on
// loopback under names of their own (attacker.test, allowed.test: Chromium maps them
// to 127.0.0.1), so that they are cross-site to the stack's 127.0.0.1, not same-site
// as another port of it would be. Each records every request it gets.
//
// - The page takes its API endpoint (and bucket) from its own <meta> tags, never from
//   its URL: ?api=https://attacker/... is ignored and nothing reaches the attacker.
// - A page whose endpoint was changed anyway (the test rewrites the served HTML) is
//   stopped by the site's Content-Security-Policy (connect-src).
// - An <img> or a link on another site cannot start an upload (403
//   CrossSiteRequest, nothing in S3); a page on an origin in `origins` may call the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  startStack, launchChromium, readObject, sha256, finishedRows, openUploads, scratchFiles,
} from './stack.mjs';

let stack, browser, attacker, allowed;
const { makeFile } = scratchFiles('security');

/** An HTTP server on loopback for another site: serves `pages` (path → HTML) and
 * answers anything else as a permissive API would (any origin may read it); records
 * every request as "METHOD /path?query". */
async function otherSite(name, pages = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const page = pages[req.url];
    if (page) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    res.writeHead(req.method === 'OPTIONS' ? 204 : 404, {
      'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': '*',
      'Access-Control-Allow-Headers': '*', 'Access-Control-Expose-Headers': '*',
    });
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://${name}:${server.address().port}`;
  return { origin, requests, pages, close: () => new Promise((resolve) => server.close(resolve)) };
}

before(async () => {
  attacker = await otherSite('attacker.test');
  allowed = await otherSite('allowed.test');
  stack = await startStack({ origins: [allowed.origin] });
  browser = await launchChromium({ args: ['--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP allowed.test 127.0.0.1'] });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  await attacker?.close();
  await allowed?.close();
});

/** A page that records the Content-Security-Policy violations it meets in window.cspViolations. */
async function newPage() {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.cspViolations.push({ directive: e.effectiveDirective, blocked: e.blockedURI }));
  });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

test('the page sends the CSP and security headers', async () => {
  const res = await fetch(stack.baseUrl + '/');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-security-policy'),
    `default-src 'self'; connect-src 'self' ${stack.s3Url}; frame-ancestors 'none'; ` +
    "form-action 'self'; base-uri 'self'");
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('referrer-policy'), 'same-origin');
});

test('?api= and ?bucket= in the page URL are ignored: files go to the page\'s own API',
  { timeout: 120000 }, async () => {
    const file = makeFile('not-for-the-attacker.bin', randomBytes(6 * 1024 * 1024 + 5));
    const page = await newPage();
    const apiOrigins = new Set();
    page.on('request', (r) => { if (new URL(r.url()).pathname.includes('/api/')) apiOrigins.add(new URL(r.url()).origin); });
    await page.goto(`${stack.baseUrl}/?api=${encodeURIComponent(attacker.origin + '/api')}` +
      '&bucket=somewhere-else&batchSize=1');
    await page.setInputFiles('input[type=file]', [file.path]);
    const [row] = await finishedRows(page, 1);
    assert.equal(row.state, 'done', row.text);
    assert.equal(sha256(await readObject(stack.gateUrl, row.key)), file.sha);
    assert.deepEqual([...apiOrigins], [stack.baseUrl]);
    assert.deepEqual(attacker.requests, [], 'nothing reached the attacker');
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
    await page.close();
  });

test('a page whose endpoint was changed is stopped by the CSP', { timeout: 120000 }, async () => {
  const file = makeFile('blocked-by-csp.bin', randomBytes(1000));
  const page = await newPage();
  let rewritten = false;
  await page.route(stack.baseUrl + '/', async (route) => {
    const res = await route.fetch(); // the site's own answer, its headers (the CSP) kept
    const html = await res.text();
    const changed = html.replace(/(<meta name="s3mpu-api" content=")[^"]*"/, `$1${attacker.origin}/api"`);
    rewritten = changed !== html;
    await route.fulfill({ response: res, body: changed });
  });
  await page.goto(stack.baseUrl + '/');
  assert.ok(rewritten, 'the page has a <meta name="s3mpu-api"> to change');
  await page.setInputFiles('input[type=file]', [file.path]);
  const [row] = await finishedRows(page, 1);
  assert.equal(row.state, 'error', row.text);
  const violations = await page.evaluate(() => window.cspViolations);
  assert.ok(violations.some((v) => v.directive === 'connect-src' && v.blocked.startsWith(attacker.origin)),
    JSON.stringify(violations));
  assert.deepEqual(attacker.requests, [], 'nothing reached the attacker');
  assert.deepEqual(openUploads(stack.gateUrl, file.name), []);
  await page.close();
});

test('an <img> or a link on another site cannot start an upload', { timeout: 60000 }, async () => {
  const start = (name) => `${stack.baseUrl}/api/start-upload?fileName=${name}`;
  attacker.pages['/csrf.html'] = `<!doctype html><img src="${start('csrf-img.bin')}">` +
    `<a href="${start('csrf-link.bin')}">win a prize</a>`;
  const refusals = () => stack.log('s3mpu').split('\n')
    .filter((l) => / GET \/api\/start-upload status=403 .*error=CrossSiteRequest$/.test(l)).length;
  const refusedBefore = refusals();
  const page = await newPage();
  // the <img> gets JSON, which Chromium's ORB keeps from the page: the request fails there
  const img = new Promise((resolve) => {
    const done = (r) => { if (r.url() === start('csrf-img.bin')) resolve(r); };
    page.on('requestfinished', done);
    page.on('requestfailed', done);
  });
  await page.goto(attacker.origin + '/csrf.html');
  await img;
  const link = page.waitForResponse((r) => r.url() === start('csrf-link.bin'));
  await page.click('a');
  const navigated = await link;
  assert.equal(navigated.status(), 403);
  assert.equal((await navigated.json()).error.code, 'CrossSiteRequest');
  await page.close();
  assert.equal(refusals() - refusedBefore, 2, 's3mpu refused both as cross-site');
  assert.deepEqual(openUploads(stack.gateUrl, 'csrf-img.bin'), []);
  assert.deepEqual(openUploads(stack.gateUrl, 'csrf-link.bin'), []);
});

test('a page on an allowed origin may call the API', { timeout: 60000 }, async () => {
  allowed.pages['/app.html'] = '<!doctype html><title>allowed</title>';
  const page = await newPage();
  await page.goto(allowed.origin + '/app.html');
  const answer = await page.evaluate(async (url) => {
    const res = await fetch(url);
    return { status: res.status, body: await res.json() };
  }, `${stack.baseUrl}/api/start-upload?fileName=from-allowed.bin`);
  await page.close();
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.data.key, 'from-allowed.bin');
  assert.deepEqual(openUploads(stack.gateUrl, 'from-allowed.bin'), [answer.body.data.uploadId]);
});
