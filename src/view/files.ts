// Pure view-model for the panel's Files and Wasted space sections: what the host sends about a
// stage image's layer contents, breadcrumbs, the bounded row window, and row texts. Shared by the
// host (stageContentsView) and the webview (the rest); no vscode, no DOM.
import { formatBytes } from '../core/report';
import type { LayerContentsReport } from '../core/layers/types';
import type { ContentsLayer, FileChange, FileRow, FilesPage, StageContentsView, WastedRow } from './protocol';
import { firstLineOf } from '../core/firstLine';

/** The webview renders at most this many file rows; paging beyond it slides the window. */
export const MAX_RENDERED_ROWS = 1000;
export const PAGE_SIZE = 200;

/** What the panel needs from a layer-contents report; per-file detail stays in the host's index. */
export function stageContentsView(r: LayerContentsReport, imageId: string, topWasted = 20): StageContentsView {
  const layers: ContentsLayer[] = r.layers.map((l) => ({
    index: l.index,
    sizeBytes: l.sizeBytes,
    line: l.line,
    endLine: l.endLine,
    text: firstLineOf(l.instruction ?? l.createdBy ?? `layer ${l.index + 1}`, 200),
    added: l.files.added,
    modified: l.files.modified,
    removed: l.files.removed,
  }));
  const wasted: WastedRow[] = r.topWasted.slice(0, topWasted).map((w) => ({
    path: w.path,
    cumulativeBytes: w.cumulativeBytes,
    reclaimableBytes: w.reclaimableBytes,
    writes: w.writes.map((x) => ({ layer: x.layer, sizeBytes: x.sizeBytes, line: x.line })),
    removedBy: w.removedBy ? { layer: w.removedBy.layer, how: w.removedBy.how, line: w.removedBy.line } : null,
  }));
  return {
    imageId, fileCount: r.fileCount, efficiency: r.efficiency, wastedBytes: r.wastedBytes, reclaimableBytes: r.reclaimableBytes,
    layers, topWasted: wasted,
  };
}


/** Layers worth browsing: those that changed files (metadata-only layers have nothing to list). */
export function browsableLayers(layers: readonly ContentsLayer[]): ContentsLayer[] {
  return layers.filter((l) => l.sizeBytes > 0 || l.added + l.modified + l.removed > 0);
}

export function layerOptionLabel(l: ContentsLayer): string {
  const where = l.line !== null ? `line ${l.line}` : 'base';
  return `${l.index + 1}. ${where} · ${formatBytes(l.sizeBytes)} · ${l.text}`;
}

/** '/usr/local/bin' → [/, usr, local, bin] with the path each crumb opens. */
export function breadcrumb(dir: string): { label: string; path: string }[] {
  const crumbs = [{ label: '/', path: '/' }];
  let path = '';
  for (const seg of dir.split('/')) {
    if (!seg) continue;
    path += `/${seg}`;
    crumbs.push({ label: seg, path });
  }
  return crumbs;
}

export function parentDir(dir: string): string {
  const i = dir.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : dir.slice(0, i);
}

/** Loaded rows of one directory listing: a contiguous slice [offset, offset + rows.length) of `total`. */
export interface RowWindow {
  offset: number;
  total: number;
  rows: FileRow[];
}

export const EMPTY_WINDOW: RowWindow = { offset: 0, total: 0, rows: [] };

/**
 * Adds a page to the window. A page that continues the window is appended and the oldest rows
 * dropped past `max`; a page that ends where the window starts is prepended (the newest dropped);
 * any other page replaces the window.
 */
export function mergePage(w: RowWindow, page: Pick<FilesPage, 'offset' | 'total' | 'entries'>, max = MAX_RENDERED_ROWS): RowWindow {
  const n = page.entries.length;
  if (w.rows.length && page.offset === w.offset + w.rows.length) {
    const rows = [...w.rows, ...page.entries];
    const drop = Math.max(0, rows.length - max);
    return { offset: w.offset + drop, total: page.total, rows: rows.slice(drop) };
  }
  if (w.rows.length && n && page.offset + n === w.offset) {
    const rows = [...page.entries, ...w.rows].slice(0, max);
    return { offset: page.offset, total: page.total, rows };
  }
  return { offset: page.offset, total: page.total, rows: page.entries.slice(0, max) };
}

/** Offset of the next page after the window, or null at the end. */
export function nextOffset(w: RowWindow): number | null {
  const end = w.offset + w.rows.length;
  return end < w.total ? end : null;
}

/** Offset and size of the page before the window, or null at the start. */
export function previousPage(w: RowWindow, size = PAGE_SIZE): { offset: number; limit: number } | null {
  if (w.offset <= 0) return null;
  const offset = Math.max(0, w.offset - size);
  return { offset, limit: w.offset - offset };
}

export function windowText(w: RowWindow): string {
  if (!w.total) return 'No entries';
  return `${w.offset + 1}–${w.offset + w.rows.length} of ${w.total}`;
}

const CHANGE_TEXT: Record<FileChange, string> = { added: 'added', modified: 'modified', removed: 'removed', unchanged: '' };

export function fileRowTexts(e: FileRow): { name: string; size: string; change: string; line: string; label: string } {
  const name = e.type === 'dir' ? `${e.name}/` : e.link !== undefined ? `${e.name} → ${e.link}` : e.name;
  const line = e.line !== null ? `line ${e.line}` : `layer ${e.writtenBy + 1}`;
  const change = CHANGE_TEXT[e.change];
  const size = formatBytes(e.sizeBytes);
  return { name, size, change, line, label: [name, size, change, e.line !== null ? `written by line ${e.line}` : ''].filter(Boolean).join(', ') };
}

export function efficiencyText(efficiency: number): string {
  return Number.isFinite(efficiency) ? `${(efficiency * 100).toFixed(1)}%` : '—';
}

/** "written by lines 3 and 5, removed by line 7" — lines the user can reveal, in order. */
export function wastedLines(w: WastedRow): { text: string; lines: number[] } {
  const writeLines = [...new Set(w.writes.map((x) => x.line).filter((l): l is number => l !== null))];
  const baseWrites = w.writes.some((x) => x.line === null);
  const parts: string[] = [];
  if (writeLines.length) parts.push(`written by line${writeLines.length > 1 ? 's' : ''} ${listText(writeLines.map(String))}${baseWrites ? ' and the base image' : ''}`);
  else parts.push('written by the base image');
  if (w.removedBy) {
    parts.push(`${w.removedBy.how === 'removed' ? 'removed' : 'overwritten'} by ${w.removedBy.line !== null ? `line ${w.removedBy.line}` : `layer ${w.removedBy.layer + 1}`}`);
  }
  const lines = [...writeLines];
  if (w.removedBy?.line != null && !lines.includes(w.removedBy.line)) lines.push(w.removedBy.line);
  return { text: parts.join(', '), lines };
}

function listText(xs: string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}
