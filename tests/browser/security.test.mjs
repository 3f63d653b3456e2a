// What another site can make a signed-in user's browser do (issue 15), in headless
// Chromium against the real stack. Other sites are small HTTP servers on loopback
// under names of their own (attacker.test, allowed.test: Chromium maps them to
// 127.0.0.1), so that they are cross-site to the stack's 127.0.0.1, not same-site as
// another port of it would be. Each records every request it gets.
//
// - An <img> or a link on another site cannot start an upload (403
//   CrossSiteRequest, nothing in S3); a page on an origin in `origins` may call the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStack, launchChromium, openUploads } from './stack.mjs';

let stack, browser, attacker, allowed;

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
