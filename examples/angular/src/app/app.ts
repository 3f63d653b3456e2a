// The upload page in Angular: one file input, a row per file with its progress,
// figures, stored key or error, and a Cancel button. Rows carry data-state
// (queued|uploading|done|error) as on s3mpu's own page.
import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal, type WritableSignal } from '@angular/core';
import type { Subscription } from 'rxjs';
import { formatBytes, formatDuration } from 's3mpu/format.js';
import { describeFailure, UploadService, type UploadFailure, type UploadSnapshot } from './upload.service';

interface Row {
  readonly id: number;
  readonly name: string;
  readonly snapshot: WritableSignal<UploadSnapshot>;
  readonly failure: WritableSignal<UploadFailure | null>;
  subscription?: Subscription;
}

@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <main>
      <h1>Upload files</h1>
      <p class="hint">An Angular app on s3mpu's <code>uploader.js</code>: files go straight from
        your browser to storage, in 10 MiB parts, several at a time.</p>

      <form class="dropzone" (submit)="$event.preventDefault()">
        <label for="files" class="dropzone-label">
          <span class="big">Choose files</span>
          <span>each goes up in parts as soon as it is picked</span>
        </label>
        <input #picker id="files" name="files" type="file" multiple (change)="pick(picker)">
      </form>

      <ul id="uploads" class="uploads" aria-label="Uploads">
        @for (row of rows(); track row.id) {
          @let s = row.snapshot();
          @let failed = row.failure();
          <li class="upload" [attr.data-state]="failed ? 'error' : s.state">
            <div class="line">
              <span class="name">{{ row.name }}</span>
              <span class="status" aria-live="polite">{{ status(s, failed) }}</span>
              <button type="button" class="cancel" [disabled]="failed || s.state === 'done'"
                      [attr.aria-label]="'Cancel upload of ' + row.name" (click)="cancel(row)">Cancel</button>
            </div>
            <progress max="1" [value]="s.total ? s.loaded / s.total : s.state === 'done' ? 1 : 0"
                      [attr.aria-label]="'Upload of ' + row.name"></progress>
            <div class="figures">{{ figures(s, failed) }}</div>
            @if (failed) {
              <div class="result" [attr.data-code]="failed.code">{{ failed.message }}</div>
            } @else if (s.key !== undefined) {
              <div class="result" [attr.data-key]="s.key">Stored as {{ s.key }}</div>
            } @else if (s.warning) {
              <div class="result">{{ s.warning }}</div>
            }
          </li>
        }
      </ul>
    </main>
  `,
})
export class App {
  private readonly uploads = inject(UploadService);
  protected readonly rows = signal<readonly Row[]>([]);
  private nextId = 1;

  constructor() {
    // leaving the page's component cancels what it started
    inject(DestroyRef).onDestroy(() => {
      for (const row of this.rows()) row.subscription?.unsubscribe();
    });
  }

  protected pick(input: HTMLInputElement): void {
    const files = Array.from(input.files ?? []);
    input.value = ''; // picking the same file again (to resume it) fires change again
    for (const file of files) this.add(file);
  }

  private add(file: File): void {
    const row: Row = {
      id: this.nextId++,
      name: file.name,
      snapshot: signal<UploadSnapshot>({
        state: 'queued', loaded: 0, total: file.size, speed: 0, eta: Infinity, parts: 0, resumedParts: 0,
      }),
      failure: signal<UploadFailure | null>(null),
    };
    this.rows.update((rows) => [...rows, row]);
    row.subscription = this.uploads.upload(file).subscribe({
      next: (snapshot) => row.snapshot.set(snapshot),
      error: (error: unknown) => row.failure.set(describeFailure(error)),
    });
  }

  protected cancel(row: Row): void {
    row.subscription?.unsubscribe(); // the service cancels the upload and aborts it in S3
    row.failure.set({ message: 'The upload was cancelled.', code: 'Cancelled', cancelled: true });
  }

  protected status(s: UploadSnapshot, failed: UploadFailure | null): string {
    if (failed) return failed.cancelled ? 'Cancelled' : 'Failed';
    switch (s.state) {
      case 'queued':
        return 'Waiting…';
      case 'uploading':
        if (s.retrying) return `Retrying part ${s.retrying.partNumber} (try ${s.retrying.attempt + 1})…`;
        return s.resumedParts
          ? `Resuming: ${s.resumedParts} of ${s.parts} parts were already uploaded…`
          : 'Uploading…';
      case 'done':
        return 'Done';
      case 'error':
        return 'Failed';
    }
  }

  protected figures(s: UploadSnapshot, failed: UploadFailure | null): string {
    const pct = s.total ? Math.floor((s.loaded / s.total) * 100) : s.state === 'done' ? 100 : 0;
    const text = `${formatBytes(s.loaded)} of ${formatBytes(s.total)} · ${pct}%`;
    if (failed || s.state !== 'uploading') return text;
    return `${text} · ${formatBytes(s.speed)}/s · ${formatDuration(s.eta)} left`;
  }
}
