// Line diff for the before/after comparison. Dockerfiles are small (hundreds of lines at
// most), so a plain LCS table is fast enough and keeps the result easy to reason about.
import type { DiffLine } from '../../protocol';

const MAX_CELLS = 4_000_000;

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  // Trim the common head and tail first: refactors usually touch the middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ op: 'same', text: a[i]!, oldLine: i + 1, newLine: i + 1 });
  if ((am.length + 1) * (bm.length + 1) > MAX_CELLS) {
    am.forEach((t, i) => out.push({ op: 'del', text: t, oldLine: head + i + 1, newLine: null }));
    bm.forEach((t, j) => out.push({ op: 'add', text: t, oldLine: null, newLine: head + j + 1 }));
  } else {
    const n = am.length, m = bm.length;
    // lcs[i][j] = LCS length of am[i..] and bm[j..], flattened.
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * (m + 1) + j] = am[i] === bm[j] ? lcs[(i + 1) * (m + 1) + j + 1]! + 1
          : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
      }
    }
    let i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) { out.push({ op: 'same', text: am[i]!, oldLine: head + i + 1, newLine: head + j + 1 }); i++; j++; }
      // Deletions before additions on ties, as unified diffs show them.
      else if (i < n && (j >= m || lcs[(i + 1) * (m + 1) + j]! >= lcs[i * (m + 1) + j + 1]!)) { out.push({ op: 'del', text: am[i]!, oldLine: head + i + 1, newLine: null }); i++; }
      else { out.push({ op: 'add', text: bm[j]!, oldLine: null, newLine: head + j + 1 }); j++; }
    }
  }
  for (let k = 0; k < tail; k++) {
    out.push({ op: 'same', text: a[a.length - tail + k]!, oldLine: a.length - tail + k + 1, newLine: b.length - tail + k + 1 });
  }
  return out;
}

function splitLines(t: string): string[] {
  if (t === '') return [];
  const lines = t.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
