// s3mpu uploader: sends files from the browser straight to S3 with multipart
// upload, through an s3mpu API (start-upload, get-upload-url, complete-upload).
// No dependencies; import it as an ES module from any page or framework.
//
//   import { Uploader } from './uploader.js';
//   const uploader = new Uploader({ endpoint: '/api' });
//   const task = uploader.upload(file);
//   task.addEventListener('progress', (e) => console.log(e.detail.loaded, e.detail.total));
//   task.addEventListener('partdone', (e) => console.log(e.detail.partNumber, e.detail.etag));
//   task.addEventListener('done', (e) => console.log(e.detail.key, e.detail.result));
//   task.addEventListener('error', (e) => console.error(e.detail.error.message));
//   await task.done;           // resolves with the completion result, rejects on error
//   await task.cancel();       // stops the upload and aborts it in S3
//
// Memory stays bounded: a part is a Blob.slice() of the file, read by the browser
// while it sends, and only `concurrency` parts are in flight at once over all the
// files of an Uploader (so a page keeps one Uploader). Part URLs are
// signed in batches (get-upload-urls), a few requests per file. An interrupted
// upload (reload, crash) resumes: the upload id is kept in localStorage under the
// file's fingerprint, and picking the same file again sends only the missing parts.
//
// Integrity: each part's SHA-256 is computed with WebCrypto before its URL is
// signed, signed into that URL and sent as the x-amz-checksum-sha256 header, so S3
// refuses a part that changed on the way (400 BadDigest; the part is then read
// from the file and sent again) and the object gets S3's composite checksum. A
// file's parts are hashed in order, up to 256 MiB ahead of its sends (at least the
// parts that go next); a part is in memory only while it is hashed, and an Uploader
// hashes at most 64 MiB of parts at once, and no more parts than the machine has
// cores (a bigger part alone). WebCrypto's crypto.subtle exists only in secure
// contexts (https, or http on localhost/127.0.0.1): elsewhere files go without
// checksums.

export const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB; // S3: every part but the last
const MAX_PARTS = 10000;       // S3: part numbers 1..10000
const HASH_AHEAD_BYTES = 256 * MiB; // how far a file's hashing runs ahead of its sends
const HASH_MEMORY = 64 * MiB;       // parts held to be hashed, over all files
const CHECKSUMS_PER_CALL = 100; // base64 SHA-256s in one signing request: within nginx's 8 KiB request line

/** An error with a message meant for the person uploading. */
export class UploadError extends Error {
  constructor(message, { code = 'UploadFailed', retryable = false, cause } = {}) {
    super(message, cause ? { cause } : undefined);
    this.name = 'UploadError';
    this.code = code;
    this.retryable = retryable;
  }
}

export class UploadCancelled extends UploadError {
  constructor() {
    super('The upload was cancelled.', { code: 'Cancelled' });
    this.name = 'UploadCancelled';
  }
}

const CORS_ETAG_HELP =
  "S3 accepted the part, but the browser may not read its ETag header, so the upload " +
  "cannot be completed. The bucket's CORS configuration must expose it: add " +
  '"ExposeHeaders": ["ETag"] to the CORS rule for this page\'s origin ' +
  '(see "Bucket CORS" in the s3mpu README).';

/** The part size for a file: at least `wanted`, raised so no file needs more than 10,000 parts. */
export function choosePartSize(fileSize, wanted = 10 * MiB) {
  let size = Math.max(wanted, MIN_PART_SIZE);
  const needed = Math.ceil(fileSize / MAX_PARTS);
  if (needed > size) size = Math.ceil(needed / MiB) * MiB;
  return size;
}

/** Whether this browser can compute SHA-256 (WebCrypto: secure contexts only). */
export const canChecksum = () => Boolean(globalThis.isSecureContext && globalThis.crypto?.subtle);

/** The base64 SHA-256 of a Blob, as S3 takes it in x-amz-checksum-sha256. */
async function sha256Base64(blob) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  let text = '';
  for (const byte of digest) text += String.fromCharCode(byte);
  return btoa(text);
}

/** S3's XML error (code, message) from a failed PUT, when the browser may read it. */
function s3ErrorOf(xhr) {
  try {
    const doc = new DOMParser().parseFromString(xhr.responseText, 'application/xml');
    const code = doc.querySelector('Error > Code')?.textContent;
    return code ? { code, message: doc.querySelector('Error > Message')?.textContent ?? '' } : null;
  } catch {
    return null;
  }
}

/** A limit shared by all files of an Uploader (parts in flight; bytes of parts being
 * hashed), given first come, first served: take(amount) waits until the amount fits,
 * or until nothing else is taken when it is bigger than the whole limit. A stopped
 * upload (its signal aborted) leaves the queue at once: its cancel must not wait for
 * another file's part. */
class Budget {
  constructor(limit) {
    this.limit = limit;
    this.used = 0;
    this.waiting = []; // [amount, go]
  }
  take(amount, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new UploadCancelled());
        return;
      }
      const leave = () => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        this.admit(); // those behind it may fit now
        reject(new UploadCancelled());
      };
      const waiter = [amount, () => {
        signal?.removeEventListener('abort', leave);
        resolve();
      }];
      signal?.addEventListener('abort', leave, { once: true });
      this.waiting.push(waiter);
      this.admit();
    });
  }
  give(amount) {
    this.used -= amount;
    this.admit();
  }
  setLimit(limit) {
    this.limit = limit;
    this.admit();
  }
  admit() {
    while (this.waiting.length && (this.used === 0 || this.used + this.waiting[0][0] <= this.limit)) {
      const [amount, go] = this.waiting.shift();
      this.used += amount;
      go();
    }
  }
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new UploadCancelled());
    }, { once: true });
  });

/** Explains a failed API call: s3mpu answers {"error":{"code","message"}}. */
async function apiError(response, what) {
  let code = `HTTP${response.status}`;
  let detail = response.statusText;
  try {
    const body = await response.json();
    if (body?.error) ({ code, message: detail } = body.error);
  } catch { /* not JSON: keep the status */ }
  // S3 or s3mpu unreachable or busy for a while; never another 4xx
  const retryable = [429, 502, 503, 504].includes(response.status);
  return new UploadError(`${what} failed: ${detail} (${code}).`, { code, retryable });
}

export class Uploader {
  /**
   * @param {object} options
   * @param {string} [options.endpoint='/api'] where the s3mpu API is
   * @param {string} [options.bucket] the bucket (default: the service's first)
   * @param {number} [options.partSize=10 MiB] raised as needed for big files
   * @param {number} [options.concurrency=4] parts in flight, over all files
   * @param {number} [options.retries=4] extra tries for a failed part
   * @param {number} [options.retryDelay=500] first backoff in ms, doubled each try
   * @param {number} [options.batchSize=100] part URLs signed per request
   * @param {boolean} [options.resume=true] remember uploads in localStorage to resume them
   * @param {number} [options.apiRetries=5] extra tries for an API call that fails with a
   *   network error, 429, 502, 503 or 504 (backoff from apiRetryDelay ms, doubled, jittered)
   * @param {number} [options.apiRetryDelay=500]
   * @param {boolean} [options.checksums=true] SHA-256 of each part, verified by S3 (needs
   *   WebCrypto: a secure context); false sends none
   * @param {object|function} [options.metadata] the object's metadata ({name: value}, or
   *   file => {name: value}); stored by S3 as x-amz-meta-<name>
   */
  constructor(options = {}) {
    this.endpoint = (options.endpoint ?? '/api').replace(/\/$/, '');
    this.bucket = options.bucket;
    this.partSize = options.partSize ?? 10 * MiB;
    this.retries = options.retries ?? 4;
    this.retryDelay = options.retryDelay ?? 500;
    this.slots = new Budget(options.concurrency ?? 4);
    // a part being hashed costs at least a core's share: no more parts at once than cores
    this.hashing = new Budget(HASH_MEMORY);
    this.hashShare = HASH_MEMORY / Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 2);
    this.batchSize = Math.min(1000, options.batchSize ?? 100);
    this.resume = options.resume ?? true;
    this.apiRetries = options.apiRetries ?? 5;
    this.apiRetryDelay = options.apiRetryDelay ?? 500;
    this.checksums = (options.checksums ?? true) && canChecksum();
    this.metadata = options.metadata;
  }

  /** Parts in flight at once, over all files; a change applies at once. */
  get concurrency() {
    return this.slots.limit;
  }

  set concurrency(limit) {
    this.slots.setLimit(limit);
  }

  /** Where an unfinished upload of this file is remembered. */
  fingerprint(file, fileName) {
    return `s3mpu:${this.endpoint}:${this.bucket ?? ''}:${fileName}:${file.size}:${file.lastModified ?? ''}`;
  }

  remembered(key) {
    if (!this.resume) return null;
    try {
      return JSON.parse(localStorage.getItem(key) ?? 'null');
    } catch {
      return null;
    }
  }

  remember(key, value) {
    if (!this.resume) return;
    try {
      if (value) localStorage.setItem(key, JSON.stringify(value));
      else localStorage.removeItem(key);
    } catch { /* private mode or full: resuming is a bonus */ }
  }

  /** Starts uploading `file` (a File or Blob); returns its UploadTask. */
  upload(file, { fileName = file.name } = {}) {
    const task = new UploadTask(this, file, fileName);
    task.start();
    return task;
  }

  /** Calls the API, again with backoff and jitter while it fails in a retryable way
   * (S3 or s3mpu down for a while). A retried complete-upload is safe: s3mpu finds
   * the object when S3 no longer knows an upload it completed. */
  async api(path, params, init = {}, signal) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.apiOnce(path, params, init, signal);
      } catch (error) {
        if (!error.retryable || signal?.aborted || attempt >= this.apiRetries) throw error;
        const delay = Math.min(this.apiRetryDelay * 2 ** attempt, 10000) * (0.5 + Math.random() / 2);
        await sleep(delay, signal);
      }
    }
  }

  async apiOnce(path, params, init = {}, signal) {
    const query = new URLSearchParams(params);
    if (this.bucket) query.set('bucket', this.bucket);
    let response;
    try {
      response = await fetch(`${this.endpoint}/${path}?${query}`, { ...init, signal });
    } catch (cause) {
      if (signal?.aborted) throw new UploadCancelled();
      throw new UploadError('The upload service could not be reached. Check your connection.',
        { code: 'NetworkError', retryable: true, cause });
    }
    if (!response.ok) throw await apiError(response, path);
    return response.json();
  }
}

export class UploadTask extends EventTarget {
  constructor(uploader, file, fileName) {
    super();
    this.uploader = uploader;
    this.file = file;
    this.fileName = fileName;
    this.size = file.size;
    this.fingerprint = uploader.fingerprint(file, fileName);
    this.partSize = choosePartSize(file.size, uploader.partSize);
    this.state = 'queued';
    this.key = null;
    this.uploadId = null;
    this.etags = new Map();        // part number → ETag
    this.sent = new Map();         // part number → bytes sent so far
    this.urls = new Map();         // part number → signed URL not used yet
    this.signing = null;           // the batch-signing request under way
    this.sending = new Set();      // part numbers whose PUT is out
    this.checksum = null;          // 'SHA256' once S3 expects every part's checksum
    this.sums = new Map();         // part number → its base64 SHA-256, once computed
    this.hashes = new Map();       // part number → the promise of its SHA-256
    this.hashedUpTo = 0;           // the last part number queued for hashing
    this.resumedParts = 0;
    this.loaded = 0;
    this.controller = new AbortController(); // stops everything under way: cancel, or a part failed
    this.samples = [];             // [time, loaded] for the speed estimate
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.done.catch(() => {});     // the 'error' event reports it
  }

  get partCount() {
    return Math.max(1, Math.ceil(this.size / this.partSize));
  }

  partBytes(n) {
    return Math.min(this.partSize, this.size - (n - 1) * this.partSize);
  }

  partBlob(n) {
    const start = (n - 1) * this.partSize;
    return this.file.slice(start, Math.min(start + this.partSize, this.size));
  }

  /** How many parts a file's hashing runs ahead of the part being sent (256 MiB). */
  get hashAhead() {
    return Math.floor(HASH_AHEAD_BYTES / this.partSize);
  }

  /** Hashes part n within the Uploader's hashing budget: the part is in memory while
   * it is hashed, WebCrypto hashes it off the main thread. */
  hash(n) {
    const { hashing, hashShare } = this.uploader;
    const signal = this.controller.signal;
    const cost = Math.max(this.partBytes(n), hashShare);
    const sum = hashing.take(cost, signal).then(async () => {
      try {
        if (signal.aborted) throw new UploadCancelled(); // no hashing for nothing
        return await sha256Base64(this.partBlob(n));
      } finally {
        hashing.give(cost);
      }
    });
    const known = sum.then((v) => { this.sums.set(n, v); return v; });
    known.catch(() => {}); // a part nobody waits for (cancelled) is no unhandled rejection
    this.hashes.set(n, known);
  }

  /** Queues parts up to `last` for hashing, in order. */
  hashUpTo(last) {
    while (this.hashedUpTo < Math.min(last, this.partCount)) this.hash(++this.hashedUpTo);
  }

  /** Part n's SHA-256; fresh: read from the file again (after S3 found it changed). */
  checksumOf(n, { fresh = false } = {}) {
    if (fresh) {
      this.sums.delete(n);
      this.hash(n);
    }
    this.hashUpTo(n);
    return this.hashes.get(n).catch((cause) => {
      if (cause instanceof UploadCancelled) throw cause;
      throw new UploadError(`The file could not be read to checksum part ${n}: ${cause.message}`,
        { code: 'FileNotReadable', cause });
    });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Stops sending and aborts the upload in S3, so no parts are left to pay for. */
  async cancel() {
    if (this.state === 'done' || this.state === 'error') return;
    this.cancelled = true;
    this.controller.abort();
    await this.finished;
  }

  refs() {
    return { fileName: this.fileName, uploadId: this.uploadId };
  }

  /** What s3mpu needs to pin each part's Content-Length into its signed URL. */
  sizes() {
    return { fileSize: this.size, partSize: this.partSize };
  }

  /** An API call on this upload: with its upload token, when s3mpu gave one. */
  call(path, params, init = {}, signal) {
    const headers = { ...init.headers };
    if (this.token) headers['X-Upload-Token'] = this.token;
    return this.uploader.api(path, params, { ...init, headers }, signal);
  }

  async start() {
    const signal = this.controller.signal;
    let settle;
    this.finished = new Promise((r) => { settle = r; });
    try {
      await this.begin(signal);
      this.state = 'uploading';
      this.startedAt = performance.now();
      this.emit('start', { key: this.key, uploadId: this.uploadId, parts: this.partCount,
        resumedParts: this.resumedParts });
      this.progress();

      const todo = [];
      for (let n = 1; n <= this.partCount; n++) if (!this.etags.has(n)) todo.push(n);
      const worker = async () => {
        while (todo.length) {
          const n = todo.shift();
          await this.uploader.slots.take(1, signal); // refused once the upload has stopped
          try {
            await this.sendPart(n, signal);
          } catch (error) {
            // the first failure stops the other parts of this file
            if (!signal.aborted) {
              this.failure = error;
              this.controller.abort();
            }
            throw error;
          } finally {
            this.uploader.slots.give(1);
          }
        }
      };
      // as many workers as parts could run at once; the shared slots limit them
      await Promise.allSettled(Array.from({ length: Math.min(todo.length, 16) }, worker));
      if (this.cancelled) throw new UploadCancelled();
      if (this.failure) throw this.failure;

      const parts = [...this.etags].sort((a, b) => a[0] - b[0])
        .map(([PartNumber, ETag]) => ({ ETag, PartNumber }));
      // resumed parts were hashed in an earlier session: hash them from the file
      if (this.checksum) for (const p of parts) p.ChecksumSHA256 = await this.checksumOf(p.PartNumber);
      const body = { ...this.refs(), parts };
      if (this.uploader.bucket) body.bucket = this.uploader.bucket;
      const result = await this.call('complete-upload', {}, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }, signal);
      this.uploader.remember(this.fingerprint, null);
      this.state = 'done';
      this.loaded = this.size;
      this.progress();
      // every part went with its checksum, each verified by S3 (a part that did not
      // match was refused), and the complete named them all
      this.emit('done', { key: result.Key ?? this.key, result, verified: this.checksum === 'SHA256',
        checksum: result.ChecksumSHA256 });
      this.resolve(result);
    } catch (error) {
      this.controller.abort();
      let err = error;
      if (this.cancelled) {
        err = new UploadCancelled();
        await this.abortInS3();
      }
      this.state = 'error';
      this.emit('error', { error: err });
      this.reject(err);
    } finally {
      settle();
    }
  }

  /** Resumes the remembered upload of this file if S3 still has it, else starts one. */
  async begin(signal) {
    const saved = this.uploader.remembered(this.fingerprint);
    if (saved?.uploadId && saved.partSize >= MIN_PART_SIZE) {
      const chosen = this.partSize;
      try {
        this.uploadId = saved.uploadId;
        this.token = saved.token;
        this.checksum = saved.checksum ?? null; // what the upload was declared with
        this.partSize = saved.partSize; // the part boundaries must not move
        const listed = await this.call('list-parts', this.refs(), {}, signal);
        for (const p of listed.data.parts) {
          // a part of the wrong size (another file, a torn write) is sent again
          if (p.PartNumber <= this.partCount && p.Size === this.partBytes(p.PartNumber)) {
            this.etags.set(p.PartNumber, p.ETag);
            this.sent.set(p.PartNumber, p.Size);
            this.loaded += p.Size;
          }
        }
        this.key = listed.data.key ?? this.fileName;
        this.resumedParts = this.etags.size;
        return;
      } catch (error) {
        if (signal.aborted) throw error;
        // the upload is gone (completed, aborted, expired): start afresh
        this.etags.clear();
        this.sent.clear();
        this.loaded = 0;
        this.partSize = chosen;
        this.token = undefined;
        this.checksum = null;
      }
    }
    const { uploader, file } = this;
    const params = { fileName: this.fileName, fileSize: this.size };
    if (file.type) params.contentType = file.type; // else S3 stores application/octet-stream
    if (uploader.checksums) params.checksumAlgorithm = 'SHA256';
    const metadata = typeof uploader.metadata === 'function' ? uploader.metadata(file) : uploader.metadata;
    for (const [name, value] of Object.entries(metadata ?? {})) params[`metadata[${name}]`] = String(value);
    const started = await uploader.api('start-upload', params, {}, signal);
    this.uploadId = started.data.uploadId;
    this.token = started.data.token; // present when s3mpu issues upload tokens
    this.key = started.data.key ?? this.fileName;
    // absent when the service has checksums off: then no part carries one
    this.checksum = started.data.checksumAlgorithm === 'SHA256' ? 'SHA256' : null;
    uploader.remember(this.fingerprint, { uploadId: this.uploadId, partSize: this.partSize,
      key: this.key, token: this.token, checksum: this.checksum });
  }

  async abortInS3() {
    this.uploader.remember(this.fingerprint, null);
    if (!this.uploadId) return;
    try {
      await this.call('abort-upload', this.refs(), { method: 'DELETE' });
    } catch (error) {
      this.emit('warning', { message: `The upload could not be aborted in S3: ${error.message}` });
    }
  }

  /** A signed URL for part n: from the last batch, or a new batch from n onwards
   * (with checksums: of the parts hashed by then, at least those that go next). */
  async urlFor(n, signal) {
    if (this.checksum) this.hashUpTo(n + this.hashAhead); // hashing runs on while parts go
    for (;;) {
      signal.throwIfAborted(); // a stopped upload sends nothing more, signed or not
      const url = this.urls.get(n);
      if (url) {
        this.urls.delete(n); // a retry gets a fresh one
        return url;
      }
      if (this.signing) {
        await this.signing.catch(() => {});
        continue;
      }
      const limit = this.checksum ? Math.min(this.uploader.batchSize, CHECKSUMS_PER_CALL) : this.uploader.batchSize;
      const wanted = [n];
      for (let m = n + 1; m <= this.partCount && wanted.length < limit; m++) {
        if (!this.etags.has(m) && !this.urls.has(m) && !this.sending.has(m)) wanted.push(m);
      }
      const params = { ...this.refs(), ...this.sizes() };
      if (this.checksum) {
        // the parts that can go at once wait for their hashes; later ones join if hashed
        await Promise.all(wanted.slice(0, this.uploader.concurrency).map((m) => this.checksumOf(m)));
        // meanwhile other workers may have signed, or sent parts: look again
        if (this.urls.has(n) || this.signing) continue;
        wanted.splice(0, Infinity, ...wanted.filter((m) => m === n ||
          (this.sums.has(m) && !this.etags.has(m) && !this.urls.has(m) && !this.sending.has(m))));
        params.checksums = wanted.map((m) => this.sums.get(m)).join(',');
      }
      params.partNumbers = wanted.join(',');
      this.signing = this.call('get-upload-urls', params, {}, signal)
        .then((r) => {
          for (const [k, v] of Object.entries(r.data.urls)) this.urls.set(Number(k), v);
        })
        .finally(() => { this.signing = null; });
      await this.signing;
    }
  }

  /** Sends one part, with a freshly signed URL and backoff on each retry. */
  async sendPart(n, signal) {
    const { uploader } = this;
    const blob = this.partBlob(n);
    let fresh = false;
    for (let attempt = 0; ; attempt++) {
      try {
        if (fresh) this.checksumOf(n, { fresh }).catch(() => {}); // the new URL waits for it
        const url = await this.urlFor(n, signal); // signed with the part's checksum
        const checksum = this.checksum ? await this.checksumOf(n) : null;
        // while its PUT is out no batch signs it: that URL would wait unused, and expire
        this.sending.add(n);
        const etag = await this.put(url, blob, n, checksum, signal).finally(() => this.sending.delete(n));
        this.etags.set(n, etag);
        this.emit('partdone', { partNumber: n, etag, size: blob.size, checksum });
        return;
      } catch (error) {
        this.setSent(n, 0);
        if (signal.aborted) throw new UploadCancelled();
        if (!error.retryable || attempt >= uploader.retries) throw error;
        // S3 got other bytes than were hashed: read the part from the file again
        fresh = error.code === 'BadDigest';
        if (fresh) this.urls.delete(n); // a URL signed with the old checksum
        const delay = uploader.retryDelay * 2 ** attempt * (0.5 + Math.random() / 2);
        this.emit('retry', { partNumber: n, attempt: attempt + 1, error, delay });
        await sleep(delay, signal);
      }
    }
  }

  /** PUTs a part to its pre-signed URL (with its checksum, when it has one: the
   * URL was signed with it); resolves with the part's ETag. The signal stops it. */
  put(url, blob, n, checksum, signal) {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new UploadCancelled());
        return;
      }
      const xhr = new XMLHttpRequest();
      const stop = () => xhr.abort();
      signal.addEventListener('abort', stop, { once: true });
      const finish = (fn, value) => {
        signal.removeEventListener('abort', stop);
        fn(value);
      };
      xhr.open('PUT', url);
      if (checksum) xhr.setRequestHeader('x-amz-checksum-sha256', checksum);
      xhr.upload.onprogress = (e) => this.setSent(n, e.loaded);
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          const etag = xhr.getResponseHeader('ETag');
          if (!etag) {
            finish(reject, new UploadError(CORS_ETAG_HELP, { code: 'ETagNotExposed' }));
            return;
          }
          this.setSent(n, blob.size);
          finish(resolve, etag);
          return;
        }
        const s3 = s3ErrorOf(xhr);
        // the part changed on its way (or on disk): it is read and hashed again
        const changed = s3?.code === 'BadDigest';
        const expired = xhr.status === 403;
        const retryable = changed || expired || xhr.status >= 500 || xhr.status === 408 ||
          xhr.status === 429;
        const why = changed ? `S3 found that part ${n} does not match its checksum (BadDigest)`
          : expired ? 'S3 refused the part (403): its signed URL may have expired'
            : `S3 answered ${xhr.status} for part ${n}${s3 ? `: ${s3.message} (${s3.code})` : ''}`;
        finish(reject, new UploadError(`${why}.`,
          { code: changed ? 'BadDigest' : `S3HTTP${xhr.status}`, retryable }));
      };
      xhr.onerror = () => finish(reject, new UploadError(
        `Part ${n} could not be sent to S3: the connection failed (or the bucket's CORS rules do not allow this page).`,
        { code: 'NetworkError', retryable: true }));
      xhr.onabort = () => finish(reject, new UploadCancelled());
      xhr.send(blob);
    });
  }

  setSent(n, bytes) {
    this.loaded += bytes - (this.sent.get(n) ?? 0);
    this.sent.set(n, bytes);
    this.progress();
  }

  progress() {
    const now = performance.now();
    this.samples.push([now, this.loaded]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 5000) this.samples.shift();
    const [t0, b0] = this.samples[0];
    const speed = now > t0 ? ((this.loaded - b0) * 1000) / (now - t0) : 0;
    const remaining = this.size - this.loaded;
    this.emit('progress', {
      loaded: this.loaded,
      total: this.size,
      speed,                                   // bytes per second, over the last seconds
      eta: speed > 0 ? remaining / speed : Infinity, // seconds
      partsDone: this.etags.size,
      parts: this.partCount,
    });
  }
}
