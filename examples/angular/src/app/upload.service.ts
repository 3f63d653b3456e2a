// uploader.js as an Angular service: an upload is an Observable of snapshots.
import { Injectable } from '@angular/core';
import { Observable } from 'rxjs';
import { MiB, Uploader, UploadCancelled, UploadError, type UploadTaskState } from 's3mpu/uploader.js';

/** One file's upload at one moment, as the page shows it. */
export interface UploadSnapshot {
  readonly state: UploadTaskState;
  readonly loaded: number;
  readonly total: number;
  /** Bytes per second, over the last few seconds. */
  readonly speed: number;
  /** Seconds left at that speed (Infinity while unknown). */
  readonly eta: number;
  readonly parts: number;
  /** Parts an earlier, interrupted upload of the same file had already sent. */
  readonly resumedParts: number;
  /** The part being tried again, after a failure S3 may get over. */
  readonly retrying?: { readonly partNumber: number; readonly attempt: number };
  /** Where the object is stored, once done. */
  readonly key?: string;
  readonly warning?: string;
}

/** Why an upload did not finish: its message is meant for the person uploading. */
export interface UploadFailure {
  readonly message: string;
  readonly code: string;
  readonly cancelled: boolean;
}

export function describeFailure(error: unknown): UploadFailure {
  if (error instanceof UploadError) {
    return { message: error.message, code: error.code, cancelled: error instanceof UploadCancelled };
  }
  return { message: error instanceof Error ? error.message : String(error), code: 'UploadFailed', cancelled: false };
}

@Injectable({ providedIn: 'root' })
export class UploadService {
  /** One Uploader for the page, so that its limit of parts in flight holds over all files.
   * Part URLs are signed in batches, and an interrupted upload resumes when the same
   * file is picked again (uploader.js keeps it in localStorage). */
  private readonly uploader = new Uploader({ endpoint: '/api', partSize: 10 * MiB, concurrency: 4 });

  /**
   * Uploads `file` when subscribed: emits a snapshot on every change, completes once the
   * object is stored and errors with the reason it is not. Unsubscribing before then
   * cancels the upload, which also aborts it in S3. uploader.js's events need no NgZone:
   * the component keeps the snapshots in signals, which schedule change detection with
   * or without zone.js.
   */
  upload(file: File): Observable<UploadSnapshot> {
    return new Observable<UploadSnapshot>((subscriber) => {
      const task = this.uploader.upload(file);
      let snapshot: UploadSnapshot = {
        state: 'queued', loaded: 0, total: file.size, speed: 0, eta: Infinity,
        parts: task.partCount, resumedParts: 0,
      };
      const update = (change: Partial<UploadSnapshot>) => {
        snapshot = { ...snapshot, ...change };
        subscriber.next(snapshot);
      };
      task.addEventListener('start', (e) =>
        update({ state: 'uploading', parts: e.detail.parts, resumedParts: e.detail.resumedParts }));
      task.addEventListener('progress', (e) => {
        const { loaded, total, speed, eta } = e.detail;
        update({ loaded, total, speed, eta });
      });
      task.addEventListener('partdone', () => {
        if (snapshot.retrying) update({ retrying: undefined });
      });
      task.addEventListener('retry', (e) =>
        update({ retrying: { partNumber: e.detail.partNumber, attempt: e.detail.attempt } }));
      task.addEventListener('warning', (e) => update({ warning: e.detail.message }));
      task.addEventListener('done', (e) => {
        update({ state: 'done', key: e.detail.key, loaded: task.size, retrying: undefined });
        subscriber.complete();
      });
      task.addEventListener('error', (e) => subscriber.error(e.detail.error));
      return () => {
        // a no-op once the task is done or failed
        void task.cancel();
      };
    });
  }
}
