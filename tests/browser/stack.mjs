// Starts the real stack (tests/lib/stack.py: moto_server, s3mpu under spawn-fcgi,
// nginx) for browser tests, and launches Debian's Chromium headless.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

// A deployment locked down as issue 5 asks: every call on an upload needs its
// token, and sizes are stated and limited (s3mpu reads S3MPU_* from the environment).
export const STRICT = {
  S3MPU_TOKEN_SECRET: 'browser-tests-secret-0123456789abcdef',
  S3MPU_REQUIRE_TOKEN: 'true',
  S3MPU_MAX_UPLOAD_SIZE: '1G',
};

/** The stack; env: more environment for s3mpu (S3MPU_* settings); faultProxy:
 * S3 behind tests/lib/faultproxy.py (s3Url, faults()); supervise: s3mpu
 * restarted when it dies (pid() reads its pid). */
export async function startStack({ www, env = {}, faultProxy = false, supervise = false } = {}) {
  const port = await freePort();
  const args = [path.join(REPO, 'tests/lib/stack.py'), 'up', '--port', String(port)];
  if (www) args.push('--www', www);
  if (faultProxy) args.push('--fault-proxy');
  if (supervise) args.push('--supervise');
  const proc = spawn('python3', args,
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack did not start:\n${out}`)), 60000);
    const onData = (d) => {
      out += d;
      const moto = out.match(/S3\s+(http:\/\/127\.0\.0\.1:\d+)/);
      if (moto && out.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolve(moto[1]);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`stack exited with ${code}:\n${out}`)));
  });
  const motoUrl = await ready;
  const proxy = out.match(/proxy\s+(http:\/\/127\.0\.0\.1:\d+) \(fault proxy to S3; control (http:\/\/127\.0\.0\.1:\d+)\)/);
  const pidfile = out.match(/pid\s+(\S+) \(s3mpu's pid/)?.[1];
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    motoUrl,
    s3Url: proxy ? proxy[1] : motoUrl, // where s3mpu sends S3 calls and the page its parts
    /** Drives the fault proxy: faults('mode', {mode: 'down'}), faults('rules', {...}), faults('state'). */
    async faults(what, body) {
      if (!proxy) throw new Error('the stack has no fault proxy');
      const res = await fetch(`${proxy[2]}/${what}`, body ? { method: 'POST', body: JSON.stringify(body) } : {});
      if (!res.ok) throw new Error(`fault proxy ${what}: HTTP ${res.status} ${await res.text()}`);
      return res.json();
    },
    /** s3mpu's pid (supervised stacks). */
    pid() {
      if (!pidfile) throw new Error('the stack is not supervised');
      return Number(readFileSync(pidfile, 'utf8'));
    },
    output: () => out,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.on('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

/** An object's bytes straight from the emulator (moto does not check auth). */
export async function readObject(motoUrl, key) {
  const url = `${motoUrl}/uploads/${key.split('/').map(encodeURIComponent).join('/')}`;
  const res = await fetch(url);
  if (res.status === 403) return readObjectSigned(motoUrl, key); // e.g. form uploads are private
  if (!res.ok) throw new Error(`GET ${key}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Waits until every row of an upload page (#uploads li, with data-state) has left
 * queued/uploading; returns their states and results. */
export async function finishedRows(page, count) {
  await page.waitForFunction((n) => {
    const rows = [...document.querySelectorAll('#uploads li')];
    return rows.length === n && rows.every((r) => r.dataset.state === 'done' || r.dataset.state === 'error');
  }, count, { timeout: 120000 });
  return page.$$eval('#uploads li', (rows) => rows.map((r) => ({
    name: r.querySelector('.name').textContent,
    state: r.dataset.state,
    key: r.querySelector('.result').dataset.key,
    code: r.querySelector('.result').dataset.code,
    text: r.querySelector('.result').textContent,
    progress: r.querySelector('progress').value,
  })));
}

/** The emulator's unfinished multipart uploads of a key: their upload ids. */
export async function openUploads(motoUrl, key) {
  const res = await fetch(`${motoUrl}/uploads?uploads`);
  const xml = await res.text();
  return [...xml.matchAll(/<Upload>(.*?)<\/Upload>/gs)]
    .map((m) => ({ key: m[1].match(/<Key>(.*?)<\/Key>/s)?.[1], id: m[1].match(/<UploadId>(.*?)<\/UploadId>/s)?.[1] }))
    .filter((u) => u.key === key).map((u) => u.id);
}

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** Replaces the bucket's CORS rules (through the emulator, unsigned). */
export async function setBucketCors(motoUrl, origin, { exposeEtag = true } = {}) {
  const xml = '<CORSConfiguration><CORSRule>' +
    `<AllowedOrigin>${origin}</AllowedOrigin>` +
    ['GET', 'PUT', 'POST', 'HEAD'].map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join('') +
    '<AllowedHeader>*</AllowedHeader>' +
    (exposeEtag ? '<ExposeHeader>ETag</ExposeHeader>' : '') +
    '<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>';
  const res = await fetch(`${motoUrl}/uploads?cors`, { method: 'PUT', body: xml });
  if (!res.ok) throw new Error(`put-bucket-cors: HTTP ${res.status} ${await res.text()}`);
}

/** The same through boto3, signed (moto refuses anonymous reads of private objects). */
function readObjectSigned(motoUrl, key) {
  const script = 'import boto3, sys\n' +
    's3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", ' +
    'aws_access_key_id="testing", aws_secret_access_key="testing")\n' +
    'sys.stdout.buffer.write(s3.get_object(Bucket="uploads", Key=sys.argv[2])["Body"].read())\n';
  const r = spawnSync('python3', ['-c', script, motoUrl, key], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`GET ${key} (signed): ${r.stderr}`);
  return r.stdout;
}
