// Pairs the stages and instructions of two versions of a Dockerfile, so a size change can be
// put on the line that caused it. Pure: works on parsed Dockerfiles only.
//
// Stages: by name first (names are how COPY --from and --target refer to them), then the
// remaining ones by position; a pair whose names differ is a rename.
// Instructions (within a stage pair): the FROM lines always pair; the rest go through the LCS
// line diff on their normalised text, so a line that only moved (something inserted above it)
// stays the same line; leftover identical texts pair as "moved" (reordered), and a run of
// deletions next to a run of additions pairs up in order as "changed".
import { joinContinuations, type ParsedDockerfile, type ParsedInstruction, type ParsedStage } from '../dockerfile/parse';
import { diffSequences } from '../linediff';

export type StageMatchKind = 'name' | 'position';

export interface StagePair {
  before: ParsedStage | null;
  after: ParsedStage | null;
  /** How the pair was made; null for an added or removed stage. */
  matchedBy: StageMatchKind | null;
  /** Both sides exist and their names differ (`AS build` → `AS builder`, or a name added/dropped). */
  renamed: boolean;
}

export function matchStages(before: ParsedDockerfile, after: ParsedDockerfile): StagePair[] {
  const pairs: StagePair[] = [];
  const usedB = new Set<number>();
  const usedA = new Set<number>();
  const pairOf = new Map<number, StagePair>();
  for (const a of after.stages) {
    if (!a.name) continue;
    const b = before.stages.find((s) => s.name === a.name && !usedB.has(s.index));
    if (!b) continue;
    usedB.add(b.index); usedA.add(a.index);
    pairOf.set(a.index, { before: b, after: a, matchedBy: 'name', renamed: false });
  }
  for (const a of after.stages) {
    if (usedA.has(a.index)) continue;
    const b = before.stages[a.index];
    // A stage whose name still exists elsewhere in the new file was matched by name, or was
    // dropped; pairing it by position would call a different stage a rename of it.
    if (!b || usedB.has(b.index) || (b.name !== null && after.stages.some((s) => s.name === b.name))) continue;
    usedB.add(b.index); usedA.add(a.index);
    pairOf.set(a.index, { before: b, after: a, matchedBy: 'position', renamed: b.name !== a.name });
  }
  // Output in the new file's order, with removed stages placed after their old predecessor.
  const removed = before.stages.filter((s) => !usedB.has(s.index));
  for (const a of after.stages) pairs.push(pairOf.get(a.index) ?? { before: null, after: a, matchedBy: null, renamed: false });
  for (const r of removed) {
    const prevPos = pairs.findIndex((p) => p.before && p.before.index === r.index - 1);
    const entry: StagePair = { before: r, after: null, matchedBy: null, renamed: false };
    if (prevPos >= 0) pairs.splice(prevPos + 1, 0, entry); else pairs.splice(Math.min(r.index, pairs.length), 0, entry);
  }
  return pairs;
}

export type LineStatus = 'same' | 'moved' | 'changed' | 'added' | 'removed';

export interface InstructionPair {
  before: ParsedInstruction | null;
  after: ParsedInstruction | null;
  /**
   * same: identical text on the same line; moved: identical text on another line (a line
   * inserted above, or reordered); changed: edited in place; added/removed: only one side.
   */
  status: LineStatus;
}

/** The text the builder sees: continuations joined, whitespace runs collapsed. */
export function normalizedInstruction(ins: ParsedInstruction, escapeChar = '\\'): string {
  return `${ins.keyword} ${joinContinuations(ins.text.replace(/^\s*\S+/, ''), escapeChar)}`.replace(/\s+/g, ' ').trim();
}

function statusOfSame(b: ParsedInstruction, a: ParsedInstruction): LineStatus {
  return b.line === a.line ? 'same' : 'moved';
}

export function matchInstructions(before: ParsedStage, after: ParsedStage, escape: { before?: string; after?: string } = {}): InstructionPair[] {
  // The stage name is the pair's business (a rename), not the FROM line's: compare the base only.
  const base = (i: ParsedInstruction, e?: string): string => normalizedInstruction(i, e).replace(/\s+AS\s+\S+$/i, '');
  const fromStatus: LineStatus = base(before.from, escape.before) === base(after.from, escape.after) ? statusOfSame(before.from, after.from) : 'changed';
  const out: InstructionPair[] = [{ before: before.from, after: after.from, status: fromStatus }];
  const bt = before.instructions.map((i) => normalizedInstruction(i, escape.before));
  const at = after.instructions.map((i) => normalizedInstruction(i, escape.after));
  const ops = diffSequences(bt, at);
  const rows: InstructionPair[] = [];
  for (const op of ops) {
    if (op.op === 'same') rows.push({ before: before.instructions[op.a]!, after: after.instructions[op.b]!, status: statusOfSame(before.instructions[op.a]!, after.instructions[op.b]!) });
    else if (op.op === 'del') rows.push({ before: before.instructions[op.a]!, after: null, status: 'removed' });
    else rows.push({ before: null, after: after.instructions[op.b]!, status: 'added' });
  }
  // Reordered lines: an added text that equals a removed one is the same instruction, moved.
  for (const add of rows) {
    if (add.status !== 'added') continue;
    const text = normalizedInstruction(add.after!, escape.after);
    const del = rows.find((r) => r.status === 'removed' && normalizedInstruction(r.before!, escape.before) === text);
    if (!del) continue;
    add.before = del.before; add.status = 'moved';
    rows.splice(rows.indexOf(del), 1);
  }
  // Edited in place: removals directly followed by additions pair up in order, keyword by keyword.
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]!.status !== 'removed') continue;
    let j = i; while (j < rows.length && rows[j]!.status === 'removed') j++;
    let k = j; while (k < rows.length && rows[k]!.status === 'added') k++;
    const dels = rows.slice(i, j); const adds = rows.slice(j, k);
    const merged: InstructionPair[] = [];
    const usedAdds = new Set<InstructionPair>();
    for (const d of dels) {
      const add = adds.find((x) => !usedAdds.has(x) && x.after!.keyword === d.before!.keyword);
      if (add) { usedAdds.add(add); merged.push({ before: d.before, after: add.after, status: 'changed' }); } else merged.push(d);
    }
    // Keep the new file's order for the additions that found no partner.
    const rest = adds.filter((x) => !usedAdds.has(x));
    rows.splice(i, k - i, ...merged, ...rest);
    i += merged.length + rest.length - 1;
  }
  out.push(...rows);
  return out;
}
