// Types for format.js, kept by hand beside it: change both together.

/** 1536 → "1.5 KiB"; a non-finite number → "—". */
export declare function formatBytes(n: number): string;
/** Seconds → "42 s", "3 min 5 s", "2 h 10 min"; a non-finite number → "—". */
export declare function formatDuration(s: number): string;
