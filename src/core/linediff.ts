// One line-sequence diff (LCS with the common head and tail trimmed first) for every caller:
// the panel's before/after Dockerfile diff and the minimal edits behind the Refactor Preview.
// Dockerfiles are small, so a plain LCS table is fast enough and easy to reason about.

export type DiffOp = { op: 'same'; a: number; b: number } | { op: 'del'; a: number } | { op: 'add'; b: number };

const MAX_CELLS = 4_000_000;

/**
 * Turns `a` into `b` as same/del/add steps with indices into each side. Deletions come before
 * additions on ties, as unified diffs show them. Past MAX_CELLS the changed middle is one
 * block of deletions then additions.
 */
export function diffSequences(a: readonly string[], b: readonly string[]): DiffOp[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  const out: DiffOp[] = [];
  for (let i = 0; i < head; i++) out.push({ op: 'same', a: i, b: i });
  if ((n + 1) * (m + 1) > MAX_CELLS) {
    for (let i = 0; i < n; i++) out.push({ op: 'del', a: head + i });
    for (let j = 0; j < m; j++) out.push({ op: 'add', b: head + j });
  } else {
    // lcs[i][j] = LCS length of the middles from i and j on, flattened.
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * (m + 1) + j] = a[head + i] === b[head + j] ? lcs[(i + 1) * (m + 1) + j + 1]! + 1
          : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
      }
    }
    let i = 0; let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[head + i] === b[head + j]) { out.push({ op: 'same', a: head + i, b: head + j }); i++; j++; }
      else if (i < n && (j >= m || lcs[(i + 1) * (m + 1) + j]! >= lcs[i * (m + 1) + j + 1]!)) { out.push({ op: 'del', a: head + i }); i++; }
      else { out.push({ op: 'add', b: head + j }); j++; }
    }
  }
  for (let k = 0; k < tail; k++) out.push({ op: 'same', a: a.length - tail + k, b: b.length - tail + k });
  return out;
}
