// Signed sizes and percentages for deltas; imports nothing but formatBytes, so the webview
// bundle can use it.
import { formatBytes } from '../report';

/** `+48 MB`, `−1.2 kB`, `±0 B`. */
export function formatDelta(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  if (bytes === 0) return '±0 B';
  return `${bytes > 0 ? '+' : '−'}${formatBytes(Math.abs(bytes))}`;
}

export function formatPercent(before: number | null | undefined, delta: number | null | undefined): string {
  if (before === null || before === undefined || delta === null || delta === undefined || before <= 0) return '';
  const p = (delta / before) * 100;
  return `${p > 0 ? '+' : p < 0 ? '−' : '±'}${Math.abs(p) < 10 ? Math.abs(p).toFixed(1) : Math.round(Math.abs(p))}%`;
}
