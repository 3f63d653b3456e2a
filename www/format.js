// Figures for people: byte counts and durations as the upload pages show them.

/** 1536 → "1.5 KiB"; a non-finite number → "—". */
export function formatBytes(n) {
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i && n < 10 ? 1 : 0)} ${units[i]}`;
}

/** Seconds → "42 s", "3 min 5 s", "2 h 10 min"; a non-finite number → "—". */
export function formatDuration(s) {
  if (!Number.isFinite(s)) return '—';
  s = Math.round(s);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
