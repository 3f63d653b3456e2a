// Holds www/uploader.d.ts to what www/uploader.js is and README documents: tsc
// --strict checks this file against the declarations (every export, option, task
// member, event detail field and error code, each named once, so a name missing from
// or added to the .d.ts fails), and Node runs it against the JavaScript (its exports
// must be the very names declared). `npm run build` does both (tsconfig.json here).
import * as api from '../../../www/uploader.js';
import {
  canChecksum, choosePartSize, MiB, UploadCancelled, Uploader, UploadError, UploadTask,
} from '../../../www/uploader.js';
import type {
  CompletedObject, CompleteResult, Metadata, UploadErrorOptions, UploaderErrorCode, UploaderOptions,
  UploadProgress, UploadTaskEventMap, UploadTaskState,
} from '../../../www/uploader.js';
import * as format from '../../../www/format.js';

/** Fails the check (Node exits with the error) unless `actual` is `expected`, as JSON. */
function same(actual: unknown, expected: unknown, what: string): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`${what}: ${a}, expected ${e}`);
}

/** Each field of T, named once: compiles only when the names are exactly T's. */
type Fields<T> = Record<keyof T, true>;
type Detail<K extends keyof UploadTaskEventMap> = UploadTaskEventMap[K]['detail'];

// the modules' exports (values; types have no runtime name)
const exported: Fields<typeof api> = {
  MiB: true, UploadError: true, UploadCancelled: true, choosePartSize: true, canChecksum: true,
  Uploader: true, UploadTask: true,
};
const formatExported: Fields<typeof format> = { formatBytes: true, formatDuration: true };

// every option, as README's example gives them
const options: Required<UploaderOptions> = {
  endpoint: '/api', bucket: 'uploads', partSize: 10 * MiB, concurrency: 4, retries: 4, retryDelay: 500,
  batchSize: 100, resume: true, apiRetries: 5, apiRetryDelay: 500, checksums: true,
  metadata: (file) => ({ name: file instanceof File ? file.name : 'unnamed' }),
};
const teamMetadata: Metadata = { team: 'a' };
const staticMetadata: UploaderOptions = { metadata: teamMetadata };
const errorOptions: Fields<UploadErrorOptions> = { code: true, retryable: true, cause: true };

// the module's own error codes (S3's and s3mpu's come through as they are)
const codes: Fields<{ [C in Exclude<UploaderErrorCode, `S3HTTP${number}` | `HTTP${number}`>]: true }> = {
  UploadFailed: true, Cancelled: true, NetworkError: true, ETagNotExposed: true, BadDigest: true,
  FileNotReadable: true,
};
const statusCodes: UploaderErrorCode[] = ['S3HTTP503', 'HTTP429'];

// each event's detail, field by field
const events: Fields<UploadTaskEventMap> = {
  start: true, progress: true, partdone: true, retry: true, warning: true, done: true, error: true,
};
const details: { [K in keyof UploadTaskEventMap]: Fields<Detail<K>> } = {
  start: { key: true, uploadId: true, parts: true, resumedParts: true },
  progress: { loaded: true, total: true, speed: true, eta: true, partsDone: true, parts: true },
  partdone: { partNumber: true, etag: true, size: true, checksum: true },
  retry: { partNumber: true, attempt: true, error: true, delay: true },
  warning: { message: true },
  done: { key: true, result: true, verified: true, checksum: true },
  error: { error: true },
};
const progressFields: Fields<UploadProgress> = details.progress;
const resultFields: Fields<CompleteResult> = {
  Location: true, Bucket: true, Key: true, ETag: true, ChecksumSHA256: true, ChecksumCRC32: true,
  ChecksumCRC32C: true, ChecksumType: true, data: true,
};
const resultDataFields: Fields<CompletedObject> = {
  Location: true, Bucket: true, Key: true, ETag: true, ChecksumSHA256: true, ChecksumCRC32: true,
  ChecksumCRC32C: true, ChecksumType: true,
};

/** README's use of a task, with each field's type; compiled, not run (it needs a server). */
async function watch(uploader: Uploader, file: File, blob: Blob): Promise<void> {
  const task: UploadTask = uploader.upload(file);
  uploader.upload(blob, { fileName: 'named.bin' });
  task.addEventListener('start', (e) => {
    const { key, uploadId, parts, resumedParts }: { key: string; uploadId: string; parts: number;
      resumedParts: number } = e.detail;
    void [key, uploadId, parts, resumedParts];
  });
  task.addEventListener('progress', (e) => {
    const { loaded, total, speed, eta, partsDone, parts }: Record<keyof UploadProgress, number> = e.detail;
    void [loaded, total, speed, eta, partsDone, parts];
  });
  task.addEventListener('partdone', (e) => {
    const { partNumber, etag, size, checksum }: { partNumber: number; etag: string; size: number;
      checksum: string | null } = e.detail;
    void [partNumber, etag, size, checksum];
  });
  task.addEventListener('retry', (e) => {
    const { partNumber, attempt, error, delay }: { partNumber: number; attempt: number; error: UploadError;
      delay: number } = e.detail;
    void [partNumber, attempt, error.code satisfies string, error.retryable satisfies boolean, delay];
  });
  task.addEventListener('warning', (e) => void (e.detail.message satisfies string));
  task.addEventListener('done', (e) => {
    const { key, result, verified, checksum }: { key: string; result: CompleteResult; verified: boolean;
      checksum: string | undefined } = e.detail;
    const composite: string | undefined = result.ChecksumSHA256 ?? result.data.ChecksumSHA256;
    void [key, verified, checksum, composite, result.ChecksumType, result.Location, result.data.Key];
  });
  task.addEventListener('error', (e) => {
    const { error } = e.detail;
    const code: string = error instanceof UploadError ? error.code : 'UploadFailed';
    void [error.message, code, error instanceof UploadCancelled];
  });
  const state: UploadTaskState = task.state;
  const result: CompleteResult = await task.done;
  void [state, result, task.key, task.uploadId, task.loaded, task.resumedParts, task.partCount, task.size,
    task.fileName, task.file, task.partSize];
  await task.cancel();
}

// Node runs what follows against uploader.js itself
same(Object.keys(api).sort(), Object.keys(exported).sort(), 'uploader.js exports (uploader.d.ts declares)');
same(Object.keys(format).sort(), Object.keys(formatExported).sort(), 'format.js exports (format.d.ts declares)');
const uploader = new Uploader(options);
uploader.concurrency = 2;
uploader.partSize = 20 * MiB;
same([uploader.concurrency, uploader.partSize, uploader.endpoint, uploader.bucket], [2, 20 * MiB, '/api', 'uploads'],
  'an Uploader\'s settings');
same(choosePartSize(100 * 1024 * MiB) / MiB, 11, 'the part size of 100 GiB, in MiB');
same(typeof canChecksum(), 'boolean', 'canChecksum()');
const cancelled = new UploadCancelled();
same([cancelled instanceof UploadError, cancelled.code], [true, 'Cancelled' satisfies keyof typeof codes],
  'an UploadCancelled');
const failed = new UploadError('m', { code: 'BadDigest', retryable: true, cause: cancelled });
same([failed.code, failed.retryable, failed.cause === cancelled], ['BadDigest', true, true], 'an UploadError');
void [watch, staticMetadata, errorOptions, statusCodes, events, progressFields, resultFields, resultDataFields];
console.log(`uploader.d.ts matches uploader.js: ${Object.keys(exported).length} exports, ` +
  `${Object.keys(options).length} options, ${Object.keys(events).length} events`);
