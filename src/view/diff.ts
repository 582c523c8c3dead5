// Line diff for the before/after comparison, on the shared diff in core.
import { diffSequences } from '../core/linediff';
import type { DiffLine } from './protocol';

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  return diffSequences(a, b).map((d): DiffLine =>
    d.op === 'same' ? { op: 'same', text: a[d.a]!, oldLine: d.a + 1, newLine: d.b + 1 }
      : d.op === 'del' ? { op: 'del', text: a[d.a]!, oldLine: d.a + 1, newLine: null }
        : { op: 'add', text: b[d.b]!, oldLine: null, newLine: d.b + 1 });
}

function splitLines(t: string): string[] {
  if (t === '') return [];
  const lines = t.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
