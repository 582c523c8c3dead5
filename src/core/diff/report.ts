// The comparison of two analyses of one Dockerfile (before = a git revision or another file,
// after = the file as it is): per stage size before → after, and per instruction the bytes its
// layers add on each side. One DiffReport feeds `stagelens diff` (text, --markdown, --json),
// `stagelens check` and the editor's Compare with HEAD.
import { parseDockerfile, type ParsedInstruction, type ParsedStage } from '../dockerfile/parse';
import { finalStage, type AnalysisReport, type StageReport } from '../report';
import { matchInstructions, matchStages, type LineStatus, type StageMatchKind } from './match';
import type { FilesDiff } from './files';

/** Version of the DiffReport JSON; add fields freely, bump on renames or removals. */
export const DIFF_SCHEMA_VERSION = 1;

export interface LineSide {
  /** 1-based first and last line of the instruction. */
  line: number;
  endLine: number;
  /** First line of the instruction as written. */
  text: string;
  /** Bytes of the layers this instruction made (FROM: the base image's or base stage's layers). */
  sizeBytes: number;
  /** Non-empty filesystem layers it made. */
  layers: number;
}

export interface LineDelta {
  status: LineStatus;
  keyword: string;
  before: LineSide | null;
  after: LineSide | null;
  /** after − before (a missing side counts 0). */
  deltaBytes: number;
}

export interface StageSide {
  index: number;
  name: string | null;
  line: number;
  baseImage: string;
  sizeBytes: number | null;
  error: string | null;
}

export type StageStatus = 'same' | 'renamed' | 'added' | 'removed';

export interface StageDelta {
  status: StageStatus;
  matchedBy: StageMatchKind | null;
  before: StageSide | null;
  after: StageSide | null;
  /** after − before; null when a side is missing or was not built. */
  deltaBytes: number | null;
  /** Whether this is the stage a plain build produces, on the new side (else the old). */
  final: boolean;
  /** Every instruction of the pair, in the new file's order (removed ones where they were). */
  lines: LineDelta[];
}

export interface DiffReport {
  schemaVersion: number;
  kind: 'stagelens-diff';
  /** Absolute path of the Dockerfile as it is. */
  dockerfile: string;
  /** What it was compared with: `HEAD` / a revision, or a file path. */
  base: { kind: 'git' | 'file'; ref: string };
  final: { before: StageSide | null; after: StageSide | null; deltaBytes: number | null; files: FilesDiff | null };
  stages: StageDelta[];
  /** The two analyses' engines (the same engine in practice). */
  engine: { endpoint: string; version: string };
}

export interface DiffSide {
  /** The Dockerfile text the report was made from. */
  text: string;
  report: AnalysisReport;
}

function firstLine(ins: ParsedInstruction): string {
  return ins.text.split(/\r?\n/)[0]!.trimEnd();
}

function lineSide(ins: ParsedInstruction, stage: StageReport | undefined, isFrom: boolean): LineSide {
  const layers = (stage?.layers ?? []).filter((l) => !l.buildLabel && (isFrom ? l.fromBase : !l.fromBase && l.line === ins.line));
  return {
    line: ins.line, endLine: ins.endLine, text: firstLine(ins),
    sizeBytes: layers.reduce((a, l) => a + l.sizeBytes, 0),
    layers: layers.filter((l) => !l.empty).length,
  };
}

function stageSide(p: ParsedStage, s: StageReport | undefined): StageSide {
  return {
    index: p.index, name: p.name, line: p.line, baseImage: p.baseImage,
    sizeBytes: s && !s.error ? s.sizeBytes : null,
    error: s?.error ? s.error.message.split('\n')[0]! : s ? null : 'not built',
  };
}

export function diffAnalyses(before: DiffSide, after: DiffSide, meta: { dockerfile: string; base: DiffReport['base']; files?: FilesDiff | null }): DiffReport {
  const dfB = parseDockerfile(before.text);
  const dfA = parseDockerfile(after.text);
  const repB = new Map(before.report.stages.map((s) => [s.index, s]));
  const repA = new Map(after.report.stages.map((s) => [s.index, s]));
  const finB = finalStage(before.report);
  const finA = finalStage(after.report);
  const stages: StageDelta[] = matchStages(dfB, dfA).map((pair) => {
    const sb = pair.before ? repB.get(pair.before.index) : undefined;
    const sa = pair.after ? repA.get(pair.after.index) : undefined;
    const b = pair.before ? stageSide(pair.before, sb) : null;
    const a = pair.after ? stageSide(pair.after, sa) : null;
    let lines: LineDelta[];
    if (pair.before && pair.after) {
      lines = matchInstructions(pair.before, pair.after, { before: dfB.escapeChar, after: dfA.escapeChar }).map((ip) => {
        const isFrom = ip.before === pair.before!.from || ip.after === pair.after!.from;
        const lb = ip.before ? lineSide(ip.before, sb, isFrom) : null;
        const la = ip.after ? lineSide(ip.after, sa, isFrom) : null;
        return { status: ip.status, keyword: (ip.after ?? ip.before)!.keyword, before: lb, after: la, deltaBytes: (la?.sizeBytes ?? 0) - (lb?.sizeBytes ?? 0) };
      });
    } else {
      const only = (pair.after ?? pair.before)!;
      const rep = pair.after ? sa : sb;
      lines = [only.from, ...only.instructions].map((ins, k) => {
        const side = lineSide(ins, rep, k === 0);
        return pair.after
          ? { status: 'added' as const, keyword: ins.keyword, before: null, after: side, deltaBytes: side.sizeBytes }
          : { status: 'removed' as const, keyword: ins.keyword, before: side, after: null, deltaBytes: -side.sizeBytes };
      });
    }
    const status: StageStatus = !pair.before ? 'added' : !pair.after ? 'removed' : pair.renamed ? 'renamed' : 'same';
    const deltaBytes = b?.sizeBytes != null && a?.sizeBytes != null ? a.sizeBytes - b.sizeBytes : null;
    const final = pair.after ? finA?.index === pair.after.index : finB?.index === pair.before!.index && !pair.after;
    return { status, matchedBy: pair.matchedBy, before: b, after: a, deltaBytes, final, lines };
  });
  const finalBefore = finB ? stageSide(dfB.stages[finB.index]!, finB) : null;
  const finalAfter = finA ? stageSide(dfA.stages[finA.index]!, finA) : null;
  return {
    schemaVersion: DIFF_SCHEMA_VERSION,
    kind: 'stagelens-diff',
    dockerfile: meta.dockerfile,
    base: meta.base,
    final: {
      before: finalBefore, after: finalAfter,
      deltaBytes: finalBefore?.sizeBytes != null && finalAfter?.sizeBytes != null ? finalAfter.sizeBytes - finalBefore.sizeBytes : null,
      files: meta.files ?? null,
    },
    stages,
    engine: { endpoint: after.report.engine.endpoint, version: after.report.engine.version },
  };
}

/** Lines worth showing: anything added, removed or edited, and unchanged lines whose bytes moved. */
export function notableLines(s: StageDelta): LineDelta[] {
  return s.lines.filter((l) => l.status === 'added' || l.status === 'removed' || l.status === 'changed' || l.deltaBytes !== 0);
}
