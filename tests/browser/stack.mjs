// Starts the real stack (tests/lib/stack.py: moto_server behind the S3 gate, s3mpu
// under spawn-fcgi, nginx) for browser tests, and launches Debian's Chromium headless.
// The tests' own S3 calls are signed (tests/lib/s3client.py): the gate refuses
// anything else, as S3 does.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import os from 'node:os';
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
 * restarted restartSec (default 1) after it dies (pid() reads its pid); origins: other pages' origins that
 * may call the API (the site's CORS map and s3mpu's `origins`); imdsCredentials:
 * s3mpu's credentials from instance metadata living that many seconds. */
export async function startStack({ www, env = {}, faultProxy = false, supervise = false, restartSec,
  origins = [], imdsCredentials } = {}) {
  const port = await freePort();
  const args = [path.join(REPO, 'tests/lib/stack.py'), 'up', '--port', String(port)];
  if (www) args.push('--www', www);
  for (const origin of origins) args.push('--origin', origin);
  if (faultProxy) args.push('--fault-proxy');
  if (supervise) args.push('--supervise');
  if (restartSec) args.push('--restart-sec', String(restartSec));
  if (imdsCredentials) args.push('--imds-credentials', String(imdsCredentials));
  const proc = spawn('python3', args,
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack did not start:\n${out}`)), 60000);
    const onData = (d) => {
      out += d;
      const s3 = out.match(/S3\s+(http:\/\/127\.0\.0\.1:\d+)/);
      if (s3 && out.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolve(s3[1]);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`stack exited with ${code}:\n${out}`)));
  });
  const gateUrl = await ready;
  const proxy = out.match(/proxy\s+(http:\/\/127\.0\.0\.1:\d+) \(fault proxy to S3; control (http:\/\/127\.0\.0\.1:\d+)\)/);
  const gateControl = out.match(/gate\s+control (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
  const key = out.match(/S3\s+\S+ \(.*key ([^/\s]+)\/([^)\s]+)\)/);
  const pidfile = out.match(/pid\s+(\S+) \(s3mpu's pid/)?.[1];
  const imds = out.match(/imds\s+(http:\/\/127\.0\.0\.1:\d+) \(credentials/)?.[1];
  const logs = out.match(/logs\s+(\S+)/)[1];
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    gateUrl, // S3 for the tests' own calls: moto behind the S3 gate
    s3Url: proxy ? proxy[1] : gateUrl, // where s3mpu sends S3 calls and the page its parts
    /** The stack's key, as AWS_* variables for other S3 clients (the aws CLI). */
    awsEnv: { AWS_ACCESS_KEY_ID: key?.[1], AWS_SECRET_ACCESS_KEY: key?.[2] },
    /** The gate's refusals since an earlier gate() state (the list itself keeps the last 200). */
    async refusalsSince(before) {
      const seen = before.refusals.at(-1)?.seq ?? 0;
      return (await this.gate()).refusals.filter((r) => r.seq > seen);
    },
    /** The gate's state: {credentials, accepted, refused: {code: n}, refusals: [...]}. */
    async gate() {
      if (!gateControl) throw new Error('the stack has no S3 gate');
      const res = await fetch(`${gateControl}/state`);
      if (!res.ok) throw new Error(`gate state: HTTP ${res.status}`);
      return res.json();
    },
    /** Drives the fault proxy: faults('mode', {mode: 'down'}), faults('rules', {...}), faults('state'). */
    async faults(what, body) {
      if (!proxy) throw new Error('the stack has no fault proxy');
      const res = await fetch(`${proxy[2]}/${what}`, body ? { method: 'POST', body: JSON.stringify(body) } : {});
      if (!res.ok) throw new Error(`fault proxy ${what}: HTTP ${res.status} ${await res.text()}`);
      return res.json();
    },
    /** The credential emulators' state (stacks with imdsCredentials). */
    async credentialEmulators() {
      if (!imds) throw new Error('the stack has no credential emulators');
      return (await fetch(`${imds}/control/state`)).json();
    },
    /** s3mpu's pid (supervised stacks). */
    pid() {
      if (!pidfile) throw new Error('the stack is not supervised');
      return Number(readFileSync(pidfile, 'utf8'));
    },
    output: () => out,
    /** A log's text, named as tests/lib/stack.py names them: 's3mpu', 'nginx-access', ... */
    log(name) {
      return readFileSync(name.startsWith('nginx-') ? path.join(logs, 'nginx', 'logs', `${name.slice(6)}.log`)
        : path.join(logs, `${name}.log`), 'utf8');
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.on('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Debian's Chromium, headless; args: more command-line switches. */
export function launchChromium({ args = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', ...args],
  });
}

/** Runs tests/lib/s3client.py against endpoint (signed with the stack's key). */
export function s3Call(endpoint, ...args) {
  const r = spawnSync('python3', [path.join(REPO, 'tests/lib/s3client.py'), endpoint, ...args],
    { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`s3client ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** An object's HeadObject answer (ContentType, Metadata, checksums), through the S3 gate. */
export function headObject(gateUrl, key) {
  return JSON.parse(s3Call(gateUrl, 'head-object', key));
}

/** A metadata value as S3 returns it, RFC 2047 "B" words (=?UTF-8?B?...?=) decoded. */
export function decodeMetadata(value) {
  const words = value.split(' ');
  if (!words.every((w) => /^=\?UTF-8\?B\?[A-Za-z0-9+/=]*\?=$/i.test(w))) return value;
  return Buffer.concat(words.map((w) => Buffer.from(w.slice(10, -2), 'base64'))).toString('utf8');
}

/** An object's bytes, read through the S3 gate. */
export async function readObject(gateUrl, key) {
  return s3Call(gateUrl, 'get-object', key);
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
    verified: r.dataset.verified, // the main page's: all parts checksummed and verified by S3
    verifiedText: r.querySelector('.verified')?.textContent,
  })));
}

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** A temporary folder for the files a test uploads: makeFile(name, bytes) writes
 *  one there and describes it; remove() deletes the folder. */
export function scratchFiles(label) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `s3mpu-${label}-`));
  return {
    dir,
    makeFile(name, bytes) {
      const p = path.join(dir, name);
      writeFileSync(p, bytes);
      return { path: p, name, sha: sha256(bytes), size: bytes.length, bytes };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Replaces the bucket's CORS rules. */
export async function setBucketCors(gateUrl, origin, { exposeEtag = true } = {}) {
  s3Call(gateUrl, 'put-cors', origin, ...(exposeEtag ? [] : ['--hide-etag']));
}

/** The ids of the unfinished multipart uploads of a key. */
export function openUploads(gateUrl, key) {
  return JSON.parse(s3Call(gateUrl, 'list-uploads')).filter((u) => u.Key === key).map((u) => u.UploadId);
}

/** The part numbers S3 holds for an upload. */
export function partsInS3(gateUrl, key, uploadId) {
  return JSON.parse(s3Call(gateUrl, 'list-parts', key, uploadId)).map((p) => p.PartNumber);
}
