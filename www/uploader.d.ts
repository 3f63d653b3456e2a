// Types for uploader.js, kept by hand beside it: change both together. TypeScript
// picks this file up for `import ... from '.../uploader.js'`; the bundler takes the
// JavaScript. Only what callers use is declared: the rest of the classes is internal.

/** 1024 * 1024 */
export declare const MiB: number;

/** The module's own error codes; s3mpu's and S3's ('NoSuchUpload', 'UploadTooLarge',
 * 'InvalidPart', ...) come through as they are. BadDigest: S3 found a part other than
 * its checksum (retried from the file); FileNotReadable: a part could not be read to
 * hash it; S3HTTP<status>: S3 refused a part; HTTP<status>: the API failed without
 * s3mpu's JSON error. */
export type UploaderErrorCode = 'UploadFailed' | 'Cancelled' | 'NetworkError' | 'ETagNotExposed' |
  'BadDigest' | 'FileNotReadable' | `S3HTTP${number}` | `HTTP${number}`;

export interface UploadErrorOptions {
  code?: string;
  retryable?: boolean;
  cause?: unknown;
}

/** An error with a message meant for the person uploading. */
export declare class UploadError extends Error {
  constructor(message: string, options?: UploadErrorOptions);
  /** The module's own code, or s3mpu's or S3's (`string & {}` keeps the editor's
   * completion of the module's own). */
  readonly code: UploaderErrorCode | (string & {});
  /** Whether trying again later may help (network, 429, 5xx). */
  readonly retryable: boolean;
}

/** What a cancelled upload fails with (code 'Cancelled'). */
export declare class UploadCancelled extends UploadError {
  constructor();
}

/** The part size for a file: at least `wanted`, raised so no file needs more than 10,000 parts. */
export declare function choosePartSize(fileSize: number, wanted?: number): number;

/** Whether this browser can compute SHA-256 (WebCrypto: secure contexts only). */
export declare function canChecksum(): boolean;

/** An object's metadata: stored by S3 as x-amz-meta-<name>. */
export type Metadata = Record<string, string>;

export interface UploaderOptions {
  /** Where the s3mpu API is (default '/api'). */
  endpoint?: string;
  /** The bucket (default: the service's first). */
  bucket?: string;
  /** Bytes per part (default 10 MiB), raised as needed for big files. */
  partSize?: number;
  /** Parts in flight, over all files (default 4). */
  concurrency?: number;
  /** Extra tries for a failed part (default 4). */
  retries?: number;
  /** First backoff in ms, doubled each try (default 500). */
  retryDelay?: number;
  /** Part URLs signed per request (default 100, at most 1000). */
  batchSize?: number;
  /** Remember uploads in localStorage to resume them (default true). */
  resume?: boolean;
  /** Extra tries for an API call that fails with a network error, 429, 502, 503 or 504 (default 5). */
  apiRetries?: number;
  /** First backoff of those in ms, doubled and jittered (default 500). */
  apiRetryDelay?: number;
  /** Each part's SHA-256, verified by S3 (default true; needs WebCrypto, a secure
   * context: elsewhere parts go without). */
  checksums?: boolean;
  /** The object's metadata, or a function of the file (the Blob itself, for a Blob
   * uploaded under a fileName). */
  metadata?: Metadata | ((file: File | Blob) => Metadata);
}

/** The object complete-upload made. */
export interface CompletedObject {
  Location: string;
  Bucket: string;
  Key: string;
  ETag: string;
  /** S3's checksum of the object (with part checksums: base64 SHA-256 of the parts'
   * SHA-256s, then -<parts>), when S3 gives one. */
  ChecksumSHA256?: string;
  ChecksumCRC32?: string;
  ChecksumCRC32C?: string;
  /** 'COMPOSITE' for part checksums. */
  ChecksumType?: string;
}

/** complete-upload's answer: the object, also under `data`. */
export interface CompleteResult extends CompletedObject {
  data: CompletedObject;
}

export interface UploadProgress {
  /** Bytes sent (parts resumed from an earlier upload count as sent). */
  loaded: number;
  total: number;
  /** Bytes per second, over the last few seconds. */
  speed: number;
  /** Seconds left at that speed; Infinity while it is unknown. */
  eta: number;
  partsDone: number;
  parts: number;
}

/** The events an UploadTask dispatches, as CustomEvents with these details. */
export interface UploadTaskEventMap {
  /** The upload exists in S3 (started, or resumed with resumedParts already there). */
  start: CustomEvent<{ key: string; uploadId: string; parts: number; resumedParts: number }>;
  progress: CustomEvent<UploadProgress>;
  /** A part is in S3; checksum: its base64 SHA-256, S3 verified it (null: sent without). */
  partdone: CustomEvent<{ partNumber: number; etag: string; size: number; checksum: string | null }>;
  /** A part failed in a retryable way and is tried again after `delay` ms. */
  retry: CustomEvent<{ partNumber: number; attempt: number; error: UploadError; delay: number }>;
  /** Something went wrong that did not fail the upload (an abort S3 refused). */
  warning: CustomEvent<{ message: string }>;
  /** The object is stored under `key`; verified: every part went with its SHA-256 and S3
   * checked each; checksum: S3's checksum of the object (result.ChecksumSHA256). */
  done: CustomEvent<{ key: string; result: CompleteResult; verified: boolean; checksum: string | undefined }>;
  /** The upload failed or was cancelled (error is then an UploadCancelled). */
  error: CustomEvent<{ error: Error }>;
}

export type UploadTaskState = 'queued' | 'uploading' | 'done' | 'error';

type Listener<E> = ((this: UploadTask, event: E) => unknown) | { handleEvent(event: E): unknown };

/** One file's upload; Uploader.upload() starts it. */
export declare class UploadTask extends EventTarget {
  readonly file: Blob;
  readonly fileName: string;
  readonly size: number;
  readonly partSize: number;
  readonly partCount: number;
  readonly state: UploadTaskState;
  /** The object's key, once the upload has started. */
  readonly key: string | null;
  readonly uploadId: string | null;
  readonly loaded: number;
  /** Parts found in S3 when an earlier upload of the same file was resumed. */
  readonly resumedParts: number;
  /** Resolves with complete-upload's answer; rejects as the 'error' event reports. */
  readonly done: Promise<CompleteResult>;
  /** Stops sending and aborts the upload in S3; resolves once that is over. */
  cancel(): Promise<void>;

  addEventListener<K extends keyof UploadTaskEventMap>(type: K, listener: Listener<UploadTaskEventMap[K]>,
    options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof UploadTaskEventMap>(type: K, listener: Listener<UploadTaskEventMap[K]>,
    options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions): void;
}

export declare class Uploader {
  constructor(options?: UploaderOptions);
  readonly endpoint: string;
  readonly bucket: string | undefined;
  /** Bytes per part for the files uploaded from now on (raised as needed for big files). */
  partSize: number;
  /** Parts in flight at once, over all files; a change applies at once. */
  concurrency: number;
  /** Starts uploading a File under its own name. */
  upload(file: File, options?: { fileName?: string }): UploadTask;
  /** Starts uploading a Blob, which has no name of its own. */
  upload(file: Blob, options: { fileName: string }): UploadTask;
}
