// Compare with HEAD as plain data: the panel's comparison view and the `+48 MB vs HEAD` lenses
// from a DiffReport (src/core/diff). No `vscode` here, so the placement rules are unit-tested.
import { formatDelta, notableLines, stageDeltaLabel, type DiffReport } from '../core/diff';
import { formatBytes, type AnalysisReport } from '../core/report';
import type { ComparisonView } from '../view/protocol';
import { lineDiff } from '../view/diff';
import { sameDockerfileText } from '../core/dockerfileText';
import { summarize } from '../view/stages';

export function comparisonView(diff: DiffReport, before: { text: string; report: AnalysisReport }, after: { text: string; report: AnalysisReport }): ComparisonView {
  const lines = lineDiff(before.text, after.text);
  // A size belongs to the first line of the instruction that made it, on the side it exists on.
  const byNew = new Map<number, number>();
  const byOld = new Map<number, number>();
  for (const s of diff.stages) {
    for (const l of s.lines) {
      if (l.deltaBytes === 0) continue;
      if (l.after) byNew.set(l.after.line, (byNew.get(l.after.line) ?? 0) + l.deltaBytes);
      else if (l.before) byOld.set(l.before.line, (byOld.get(l.before.line) ?? 0) + l.deltaBytes);
    }
  }
  return {
    title: `Compared with ${diff.base.ref}`,
    beforeLabel: diff.base.ref,
    afterLabel: 'Working copy',
    before: summarize(before.report),
    after: summarize(after.report),
    diff: lines.map((d) => {
      const delta = d.newLine !== null ? byNew.get(d.newLine) : d.oldLine !== null && d.op === 'del' ? byOld.get(d.oldLine) : undefined;
      return delta !== undefined ? { ...d, deltaBytes: delta } : d;
    }),
    stageDeltas: diff.stages.map((s) => ({
      label: stageDeltaLabel(s), status: s.status, beforeBytes: s.before?.sizeBytes ?? null, afterBytes: s.after?.sizeBytes ?? null,
      deltaBytes: s.deltaBytes, final: s.final,
    })),
  };
}

export interface CompareLensSpec { /** 0-based editor line. */ line: number; title: string; tooltip: string }

/**
 * `+48 MB vs HEAD` above every instruction whose layers grew, while the document still holds the
 * text that was compared (a lens must never sit on a line whose instruction differs).
 */
export function compareLenses(diff: DiffReport, comparedText: string, currentText: string): CompareLensSpec[] {
  if (!sameDockerfileText(comparedText, currentText)) return [];
  const perLine = new Map<number, { bytes: number; what: string[] }>();
  for (const s of diff.stages) {
    for (const l of notableLines(s)) {
      if (!l.after || l.deltaBytes <= 0) continue;
      const e = perLine.get(l.after.line) ?? { bytes: 0, what: [] };
      e.bytes += l.deltaBytes;
      e.what.push(`${stageDeltaLabel(s)}: ${l.status === 'added' ? 'new instruction' : l.status === 'changed' ? 'changed instruction' : l.keyword === 'FROM' ? 'bigger base' : 'same instruction, bigger layers'}${l.before ? ` (was ${formatBytes(l.before.sizeBytes)} on line ${l.before.line})` : ''}`);
      perLine.set(l.after.line, e);
    }
  }
  return [...perLine.entries()].sort((a, b) => a[0] - b[0]).map(([line, e]) => ({
    line: line - 1,
    title: `${formatDelta(e.bytes)} vs ${diff.base.ref}`,
    tooltip: `Layers of this instruction grew by ${formatDelta(e.bytes)} compared with ${diff.base.ref}. ${e.what.join('; ')}`,
  }));
}
