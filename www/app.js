// The upload page: a thin UI on uploader.js.
import { Uploader, UploadCancelled, MiB, canChecksum } from './uploader.js';
import { formatBytes, formatDuration } from './format.js';

const $ = (sel, root = document) => root.querySelector(sel);
const list = $('#uploads');
const input = $('#files');
const tasks = new Set();

/** A setting of the page (<meta name="s3mpu-...">), or undefined when empty. Where
 * files go is the site's choice, never the URL's: a link must not be able to send
 * someone's files to another server or bucket. */
const setting = (name) => $(`meta[name="s3mpu-${name}"]`)?.content || undefined;

const params = new URLSearchParams(location.search);
// One Uploader for the page, so that its limits (parts in flight, memory for hashing)
// hold over all files, however many picks they came in.
const uploader = new Uploader({ endpoint: setting('api') ?? '/api', bucket: setting('bucket'),
  // ?batchSize=N only changes how many part URLs one call signs (bench/upload.mjs)
  batchSize: Number(params.get('batchSize')) || undefined,
  // ?checksums=0: parts without their SHA-256 (to compare; S3 then verifies only the signature)
  checksums: params.get('checksums') !== '0',
  // as Uppy does: the file's own name goes with the object (its key may differ)
  metadata: (file) => ({ name: file.name }) });

/** The settings fold-out: the part size for files picked from now on, the parts in
 * parallel for all files. */
function applySettings() {
  uploader.partSize = Math.max(5, Number($('#part-size').value) || 10) * MiB;
  uploader.concurrency = Math.min(16, Math.max(1, Number($('#concurrency').value) || 4));
}

function updateOverall() {
  let loaded = 0, total = 0, active = 0, speed = 0;
  for (const t of tasks) {
    loaded += t.loaded;
    total += t.size;
    if (t.state === 'uploading' || t.state === 'queued') { active++; speed += t.lastSpeed ?? 0; }
  }
  const bar = $('#overall');
  bar.value = total ? loaded / total : tasks.size ? 1 : 0;
  $('#overall-text').textContent = tasks.size === 0 ? 'Nothing uploading.'
    : `${formatBytes(loaded)} of ${formatBytes(total)}` +
      (active ? ` — ${active} file${active > 1 ? 's' : ''} uploading, ${formatBytes(speed)}/s` : ' — finished');
}

function addFile(file) {
  const row = $('#row').content.firstElementChild.cloneNode(true);
  const bar = $('progress', row);
  $('.name', row).textContent = file.name;
  bar.setAttribute('aria-label', `Upload of ${file.name}`);
  $('.cancel', row).setAttribute('aria-label', `Cancel upload of ${file.name}`);
  list.append(row);

  const task = uploader.upload(file);
  tasks.add(task);
  const status = $('.status', row);
  const setState = (state, text) => { row.dataset.state = state; status.textContent = text; };

  task.addEventListener('start', (e) => setState('uploading', e.detail.resumedParts
    ? `Resuming: ${e.detail.resumedParts} of ${e.detail.parts} parts were already uploaded…`
    : 'Uploading…'));
  task.addEventListener('warning', (e) => { $('.result', row).textContent = e.detail.message; });
  task.addEventListener('progress', (e) => {
    const { loaded, total, speed, eta } = e.detail;
    task.lastSpeed = speed;
    bar.value = total ? loaded / total : 0;
    const pct = total ? Math.floor((loaded / total) * 100) : task.state === 'done' ? 100 : 0;
    $('.figures', row).textContent = `${formatBytes(loaded)} of ${formatBytes(total)} · ${pct}%` +
      (task.state === 'uploading' ? ` · ${formatBytes(speed)}/s · ${formatDuration(eta)} left` : '');
    updateOverall();
  });
  task.addEventListener('retry', (e) =>
    setState('uploading', `Retrying part ${e.detail.partNumber} (try ${e.detail.attempt + 1})…`));
  task.addEventListener('done', (e) => {
    bar.value = 1;
    setState('done', 'Done');
    $('.result', row).textContent = `Stored as ${e.detail.key}`;
    $('.result', row).dataset.key = e.detail.key;
    // S3 checked every part against the SHA-256 the browser computed from the file
    row.dataset.verified = String(e.detail.verified);
    const check = $('.verified', row);
    check.textContent = e.detail.verified ? 'verified by S3'
      : canChecksum() ? 'not verified: sent without part checksums'
        : 'not verified: part checksums need a secure (https) page';
    if (e.detail.checksum) check.title = `S3's checksum of the parts (SHA-256 of their SHA-256s): ${e.detail.checksum}`;
    $('.cancel', row).disabled = true;
    updateOverall();
  });
  task.addEventListener('error', (e) => {
    const { error } = e.detail;
    setState('error', error instanceof UploadCancelled ? 'Cancelled' : 'Failed');
    $('.result', row).textContent = error.message;
    $('.result', row).dataset.code = error.code ?? '';
    $('.cancel', row).disabled = true;
    updateOverall();
  });
  $('.cancel', row).addEventListener('click', () => task.cancel());
}

function addFiles(files) {
  applySettings();
  for (const file of files) addFile(file);
  updateOverall();
}

input.addEventListener('change', () => {
  addFiles([...input.files]);
  input.value = '';
});

const zone = $('#picker');
zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
zone.addEventListener('dragleave', () => zone.classList.remove('over'));
zone.addEventListener('drop', (e) => {
  e.preventDefault();
  zone.classList.remove('over');
  addFiles([...e.dataTransfer.files]);
});
