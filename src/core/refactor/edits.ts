// Text edits against the original document, in the LSP/VS Code convention (0-based positions),
// so the editor's WorkspaceEdit and the CLI's file rewrite apply exactly the same change.
import type { Pos, Span } from '../dockerfile/parse';
import { diffSequences } from '../linediff';

export interface TextEdit { range: Span; newText: string }

/** Offsets of each line start. Positions from parse.ts are relative to the text without a BOM. */
function lineStarts(text: string): { starts: number[]; bom: number } {
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const starts = [bom];
  for (let i = bom; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 /* \r */) { if (text.charCodeAt(i + 1) === 10) i++; starts.push(i + 1); }
    else if (c === 10) starts.push(i + 1);
  }
  return { starts, bom };
}

export function offsetAt(text: string, pos: Pos, starts = lineStarts(text).starts): number {
  if (pos.line >= starts.length) return text.length;
  const lineStart = starts[pos.line]!;
  let lineEnd = pos.line + 1 < starts.length ? starts[pos.line + 1]! : text.length;
  // Clamp to the line's content so a too-long character never eats the line break.
  if (pos.line + 1 < starts.length) {
    if (text[lineEnd - 1] === '\n') lineEnd--;
    if (text[lineEnd - 1] === '\r') lineEnd--;
  }
  return Math.min(lineStart + Math.max(0, pos.character), lineEnd);
}

export function positionAt(text: string, offset: number): Pos {
  const { starts } = lineStarts(text);
  let lo = 0; let hi = starts.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid]! <= offset) lo = mid; else hi = mid - 1; }
  return { line: lo, character: offset - starts[lo]! };
}

/** Applies non-overlapping edits (any order) and returns the new text. Linear in the text size. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const { starts } = lineStarts(text);
  const withOffsets = edits.map((e, i) => ({ s: offsetAt(text, e.range.start, starts), e: offsetAt(text, e.range.end, starts), t: e.newText, i }));
  // Insertions at the same offset keep the order they were given in.
  withOffsets.sort((a, b) => a.s - b.s || a.e - b.e || a.i - b.i);
  const parts: string[] = [];
  let at = 0;
  for (const x of withOffsets) {
    if (x.s < at) throw new Error('Overlapping text edits.');
    parts.push(text.slice(at, x.s), x.t);
    at = x.e;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** A range covering the whole document (the BOM, when present, is kept outside it). */
export function wholeDocument(text: string): Span {
  const { bom } = lineStarts(text);
  const end = positionAt(text, text.length);
  return { start: { line: 0, character: 0 }, end: bom && end.line === 0 ? { line: 0, character: end.character - bom } : end };
}

export function eolOf(text: string): string {
  return /\r\n/.test(text) ? '\r\n' : '\n';
}

export function spanContains(outer: Span, inner: Span): boolean {
  const le = (a: Pos, b: Pos): boolean => a.line < b.line || (a.line === b.line && a.character <= b.character);
  return le(outer.start, inner.start) && le(inner.end, outer.end);
}

/** Lines with their terminators, so that equal lines are equal to the byte. */
function linesWithBreaks(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

/**
 * The smallest set of whole-line edits that turns `before` into `after`: one edit per changed
 * hunk instead of one whole-document replacement, so a preview (VS Code's Refactor Preview)
 * shows what moves where and unchanged lines keep their markers. Applying the result to
 * `before` with applyEdits gives exactly `after`.
 */
export function minimalLineEdits(before: string, after: string): TextEdit[] {
  if (before === after) return [];
  const bom = before.charCodeAt(0) === 0xfeff ? 1 : 0;
  const body = before.slice(bom);
  const a = linesWithBreaks(body);
  const b = linesWithBreaks(after.charCodeAt(0) === 0xfeff ? after.slice(1) : after);
  // Runs of del/add between equal lines become hunks: [oldStart, oldEnd, newStart, newEnd).
  const hunks: [number, number, number, number][] = [];
  let open: [number, number, number, number] | null = null;
  let ai = 0; let bi = 0;
  for (const d of diffSequences(a, b)) {
    if (d.op === 'same') { if (open) { hunks.push(open); open = null; } ai = d.a + 1; bi = d.b + 1; continue; }
    open ??= [ai, ai, bi, bi];
    if (d.op === 'del') { ai = d.a + 1; open[1] = ai; } else { bi = d.b + 1; open[3] = bi; }
  }
  if (open) hunks.push(open);
  const oldStarts: number[] = [0];
  for (const l of a) oldStarts.push(oldStarts[oldStarts.length - 1]! + l.length);
  return hunks.map(([os, oe, ns, ne]) => ({
    range: { start: positionAt(body, oldStarts[os]!), end: positionAt(body, oldStarts[oe]!) },
    newText: b.slice(ns, ne).join(''),
  }));
}
