// Types for uploader.js, kept by hand beside it: change both together. TypeScript
// picks this file up for `import ... from '.../uploader.js'`; the bundler takes the
// JavaScript. Only what callers use is declared: the rest of the classes is internal.

/** 1024 * 1024 */
export declare const MiB: number;

export interface UploadErrorOptions {
  code?: string;
  retryable?: boolean;
  cause?: unknown;
}

/** An error with a message meant for the person uploading. */
export declare class UploadError extends Error {
  constructor(message: string, options?: UploadErrorOptions);
  /** s3mpu's or S3's error code ('NoSuchUpload', 'UploadTooLarge', ...), or the
   * module's own: 'Cancelled', 'NetworkError', 'ETagNotExposed', 'S3HTTP<status>',
   * 'HTTP<status>'. */
  readonly code: string;
  /** Whether trying again later may help (network, 429, 5xx). */
  readonly retryable: boolean;
}

/** What a cancelled upload fails with (code 'Cancelled'). */
export declare class UploadCancelled extends UploadError {
  constructor();
}

/** The part size for a file: at least `wanted`, raised so no file needs more than 10,000 parts. */
export declare function choosePartSize(fileSize: number, wanted?: number): number;

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
}

/** complete-upload's answer. */
export interface CompleteResult {
  Location: string;
  Bucket: string;
  Key: string;
  ETag: string;
  data: { Location: string; Bucket: string; Key: string; ETag: string };
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
  partdone: CustomEvent<{ partNumber: number; etag: string; size: number }>;
  /** A part failed in a retryable way and is tried again after `delay` ms. */
  retry: CustomEvent<{ partNumber: number; attempt: number; error: UploadError; delay: number }>;
  /** Something went wrong that did not fail the upload (an abort S3 refused). */
  warning: CustomEvent<{ message: string }>;
  /** The object is stored under `key`. */
  done: CustomEvent<{ key: string; result: CompleteResult }>;
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
