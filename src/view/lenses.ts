// Which code lenses a Dockerfile gets, as plain data. The provider in src/vscode turns these
// into vscode.CodeLens objects; keeping the placement rules here makes the stale-lens
// guarantee (never on a line whose instruction differs from the one measured) unit-testable.
import { parseDockerfile, type ParsedDockerfile, type ParsedInstruction } from '../core/dockerfile/parse';
import { sameDockerfileText } from '../core/dockerfileText';
import { formatBytes, type AnalysisReport } from '../core/report';
import { stageLabel, stageSummaryText } from './stages';

/** The parts of a suggestion finding the lenses need (src/core/suggest produces the full one). */
export interface LensFinding {
  id: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  message: string;
  /** Hints stay in diagnostics and the lightbulb; lenses are for what costs size or safety. */
  severity?: 'info' | 'hint' | 'warning';
  estimateBytes?: number | null;
  measuredBytes?: number | null;
  /** What the fix saves; only `measured` when both the file and the fixed file were built. */
  savings?: { bytes: number; basis: 'measured' | 'estimate'; how?: string } | null;
  fix?: { title: string; edits: unknown[] };
}

export type LensAction =
  | { kind: 'analyze' }
  | { kind: 'cancel' }
  | { kind: 'buildStage'; stageIndex: number }
  | { kind: 'openStage'; stageIndex: number }
  | { kind: 'suggestion'; findingId: string }
  | { kind: 'none' };

export interface LensSpec {
  /** 0-based editor line. */
  line: number;
  title: string;
  tooltip?: string;
  action: LensAction;
}

export interface LensInput {
  /** Current document text. */
  text: string;
  /** The last report for this document, and the exact text it was made from. */
  analysis: { report: AnalysisReport; text: string } | null;
  findings: readonly LensFinding[];
  running: boolean;
  thresholdBytes: number;
  staleBehavior: 'mark' | 'hide';
  suggestionsEnabled: boolean;
}


export function computeLenses(input: LensInput): LensSpec[] {
  const current = parseDockerfile(input.text);
  const out: LensSpec[] = [];
  const first = current.stages[0];
  const analysis = input.analysis;
  const stale = analysis !== null && !sameDockerfileText(analysis.text, input.text);
  const showMeasured = analysis !== null && (!stale || input.staleBehavior === 'mark');
  const suffix = stale ? ' (stale)' : '';

  if (first) {
    if (input.running) out.push({ line: first.from.range.start.line, title: '$(sync~spin) Analyzing stages… Cancel', action: { kind: 'cancel' } });
    else if (!analysis) out.push({ line: first.from.range.start.line, title: '$(play) Analyze stages', action: { kind: 'analyze' } });
    else out.push({ line: first.from.range.start.line, title: stale ? '$(refresh) Re-analyze (stale)' : '$(refresh) Re-analyze', action: { kind: 'analyze' } });
  }

  const placedStages = new Set<number>();
  if (analysis && showMeasured) {
    const old = stale ? parseDockerfile(analysis.text) : current;
    for (const s of analysis.report.stages) {
      const now = relocateStage(old, current, s.index);
      if (now === null) continue;
      placedStages.add(now);
      out.push({
        line: current.stages[now]!.from.range.start.line,
        title: stageSummaryText(analysis.report, s) + suffix,
        tooltip: `Open ${stageLabel(s)} in the Stage Lens panel`,
        action: { kind: 'openStage', stageIndex: s.index },
      });
      // Layer lenses: summed per instruction line, shown when at least the threshold.
      const perLine = new Map<number, number>();
      for (const l of s.layers) {
        if (l.fromBase || l.empty || l.line === null) continue;
        perLine.set(l.line, (perLine.get(l.line) ?? 0) + l.sizeBytes);
      }
      for (const [line, bytes] of perLine) {
        if (bytes < input.thresholdBytes || bytes <= 0) continue;
        const oldIns = old.stages[s.index]?.instructions.find((i) => i.line === line);
        if (!oldIns) continue;
        const target = relocateInstruction(oldIns, old, current);
        if (!target) continue;
        out.push({
          line: target.range.start.line,
          title: `+${formatBytes(bytes)}${suffix}`,
          tooltip: `This instruction adds ${formatBytes(bytes)} to ${stageLabel(s)}`,
          action: { kind: 'openStage', stageIndex: s.index },
        });
      }
    }
  }

  // "Build stage" on every FROM that has no measured lens yet. They stay while a build runs so
  // the lens lines do not change and the editor does not reflow (clicking one then explains
  // that an analysis is already running).
  for (const st of current.stages) {
    if (placedStages.has(st.index)) continue;
    out.push({ line: st.from.range.start.line, title: 'Build stage', action: { kind: 'buildStage', stageIndex: st.index } });
  }

  if (input.suggestionsEnabled) {
    for (const g of groupByFix(input.findings.filter((f) => f.severity !== 'hint'))) {
      const first = g[0]!;
      // The tooltip says where the saving comes from (built both ways, or what the estimate subtracts).
      const how = bestSaving(g)?.how;
      out.push({ line: first.range.start.line, title: g.length > 1 ? groupTitle(g) : suggestionTitle(first), ...(how ? { tooltip: how } : {}), action: { kind: 'suggestion', findingId: first.id } });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

/**
 * `<message> (−X measured)` only for a saving the engine measured by building the fixed file;
 * `(−~X estimate)` otherwise. The measured size of the layers a finding concerns (`measuredBytes`)
 * is what it costs today, not what the fix saves, so it never labels a saving.
 */
export function suggestionTitle(f: LensFinding): string {
  const s = f.savings;
  if (s && s.bytes > 0) return `${f.message} (−${s.basis === 'measured' ? '' : '~'}${formatBytes(s.bytes)} ${s.basis})`;
  if (s === undefined && typeof f.estimateBytes === 'number' && f.estimateBytes > 0) return `${f.message} (−~${formatBytes(f.estimateBytes)} estimate)`;
  return f.message;
}

/**
 * Findings that share one fix (several rules all answered by the multi-stage split) get one
 * lens, so the user sees one action rather than three copies of it.
 */
function groupByFix(findings: readonly LensFinding[]): LensFinding[][] {
  const groups = new Map<string, LensFinding[]>();
  for (const f of findings) {
    const key = f.fix ? `fix:${f.fix.title}:${JSON.stringify(f.fix.edits)}` : `id:${f.id}`;
    const g = groups.get(key);
    if (g) g.push(f); else groups.set(key, [f]);
  }
  return [...groups.values()].map((g) => g.sort((a, b) => a.range.start.line - b.range.start.line));
}

/** One fix, one saving: a measured one wins; otherwise the largest estimate. */
function bestSaving(g: readonly LensFinding[]): NonNullable<LensFinding['savings']> | null {
  const savings = g.map((f) => f.savings).filter((x): x is NonNullable<LensFinding['savings']> => !!x && x.bytes > 0);
  return savings.find((x) => x.basis === 'measured') ?? (savings.length ? savings.reduce((a, b) => (b.bytes > a.bytes ? b : a)) : null);
}

/** `<fix title> (−~X)`: the estimates overlap (a full base already holds compilers), so the largest one, not the sum. */
function groupTitle(g: LensFinding[]): string {
  const max = (xs: (number | null | undefined)[]): number | null => {
    const v = xs.filter((x): x is number => typeof x === 'number' && x > 0);
    return v.length ? Math.max(...v) : null;
  };
  if (g.some((f) => f.savings !== undefined)) return suggestionTitle({ ...g[0]!, message: g[0]!.fix!.title, savings: bestSaving(g) });
  return suggestionTitle({ ...g[0]!, message: g[0]!.fix!.title, estimateBytes: max(g.map((f) => f.estimateBytes)) });
}

/** The current index of an analysed stage, only if its FROM line reads exactly as it did. */
function relocateStage(old: ParsedDockerfile, current: ParsedDockerfile, index: number): number | null {
  const was = old.stages[index];
  if (!was) return null;
  const same = current.stages[index];
  if (same && same.from.text === was.from.text) return index;
  const matches = current.stages.filter((s) => s.from.text === was.from.text);
  return matches.length === 1 ? matches[0]!.index : null;
}

/**
 * Where an analysed instruction is now: the instruction in the corresponding stage whose text
 * is identical, preferring the same position in the stage. Null when it changed or is ambiguous.
 */
function relocateInstruction(ins: ParsedInstruction, old: ParsedDockerfile, current: ParsedDockerfile): ParsedInstruction | null {
  const stageNow = relocateStage(old, current, ins.stage);
  if (stageNow === null) return null;
  const oldStage = old.stages[ins.stage]!;
  const ordinal = oldStage.instructions.indexOf(ins);
  const nowStage = current.stages[stageNow]!;
  const atOrdinal = nowStage.instructions[ordinal];
  if (atOrdinal && atOrdinal.text === ins.text) return atOrdinal;
  const matches = nowStage.instructions.filter((i) => i.text === ins.text);
  return matches.length === 1 ? matches[0]! : null;
}
