// Maps what the builders report (image history entries, BuildKit vertex names, classic
// "Step N/M" lines, error messages) back to Dockerfile instructions. Pure: the engine feeds it
// data, tests feed it fixture arrays, and both builders' formats are handled here in one place.
import { baseChain, type ParsedDockerfile, type ParsedInstruction, type ParsedStage } from './dockerfile/parse';
import type { BuilderKind, LayerReport } from './report';

/** One `GET /images/{id}/history` entry, oldest first when passed to mapHistoryToLayers. */
export interface HistoryEntry {
  createdBy: string;
  sizeBytes: number;
  id?: string | null;
  comment?: string | null;
}

export interface StepTiming { cached: boolean | null; durationMs: number | null }

/** The label keys Stage Lens puts on the images it builds. */
export const LABEL_PREFIX = 'com.stagelens.';

/** Instructions that write files; everything else only changes image metadata. */
const FILESYSTEM_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);
/** Instructions the BuildKit frontend (in Docker 20.10) numbers as steps in vertex names. */
export const LLB_STEP_KEYWORDS: ReadonlySet<string> = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);
const KEYWORD_RE = /^(ADD|ARG|CMD|COPY|ENTRYPOINT|ENV|EXPOSE|HEALTHCHECK|LABEL|MAINTAINER|ONBUILD|RUN|SHELL|STOPSIGNAL|USER|VOLUME|WORKDIR)\b/;

/**
 * The instruction keyword a history entry came from, or null when it cannot tell (an
 * imported image's "Imported from -", an empty entry).
 * BuildKit writes `RUN /bin/sh -c … # buildkit`, `COPY a b # buildkit`, `ENV X=1`; the classic
 * builder writes `/bin/sh -c #(nop)  ENV X=1`, `/bin/sh -c #(nop) COPY file:… in /app` and, for
 * RUN, the bare command (`/bin/sh -c make`, `|1 V=1 /bin/sh -c make`).
 */
export function historyKeyword(createdBy: string, builder: BuilderKind): string | null {
  const s = createdBy.trim();
  if (!s) return null;
  const nop = /#\(nop\)\s*([A-Za-z]+)/.exec(s);
  if (nop) return nop[1]!.toUpperCase();
  const kw = KEYWORD_RE.exec(s);
  if (kw) return kw[1]!;
  // The classic builder and Buildah (Podman) write RUN as the bare command; BuildKit never does.
  if (builder === 'classic' || builder === 'buildah') return /^Imported from\b/.test(s) ? null : 'RUN';
  return null;
}

/**
 * The labels Stage Lens puts on its builds, as history entries: the classic builder adds one
 * `LABEL` step with all of them at the end; Buildah may add one `#(nop) LABEL` entry per label.
 * They are ours, not the Dockerfile's, and never instructions.
 */
export function isBuildLabelEntry(createdBy: string): boolean {
  return /#\(nop\)\s*LABEL\s/.test(createdBy) && createdBy.includes(LABEL_PREFIX);
}

interface ChainInstruction { ins: ParsedInstruction; stage: number }

function chainInstructions(df: ParsedDockerfile, stage: number): ChainInstruction[] {
  return baseChain(df, stage).flatMap((s) => df.stages[s]!.instructions.map((ins) => ({ ins, stage: s })));
}

export interface MapLayersInput {
  df: ParsedDockerfile;
  /** Index of the stage whose image history this is. */
  stage: number;
  builder: BuilderKind;
  /** Image history, OLDEST first (the engine returns newest first). */
  history: HistoryEntry[];
  /** History length of the root base image (the image the FROM chain starts at); 0 for scratch; null if unknown. */
  rootBaseLayers: number | null;
  /** Per-instruction build facts from this stage's own build, keyed by the instruction's 1-based line. */
  timings?: ReadonlyMap<number, StepTiming>;
}

/**
 * Assigns every history entry to the instruction that made it. Every instruction after FROM
 * leaves exactly one history entry with both builders, so the newest entries line up 1:1 with
 * the instructions of the stage chain (root stage first). When the counts disagree (ONBUILD
 * triggers, an engine that skips entries) it falls back to aligning by keyword from the newest
 * entry backwards, which never maps an entry to an instruction of a different kind.
 */
export function mapHistoryToLayers(input: MapLayersInput): LayerReport[] {
  const { df, stage, builder, history } = input;
  const seq = chainInstructions(df, stage);
  const assigned: (ChainInstruction | 'label' | null)[] = history.map(() => null);

  let end = history.length;
  while (end > 0 && isBuildLabelEntry(history[end - 1]!.createdBy)) assigned[--end] = 'label';

  const kwAt = (i: number): string | null => historyKeyword(history[i]!.createdBy, builder);
  const root = input.rootBaseLayers;
  const start = end - seq.length;
  const strict = start >= 0 && (root === null || root === start)
    && seq.every((c, t) => kwAt(start + t) === c.ins.keyword);
  if (strict) {
    seq.forEach((c, t) => { assigned[start + t] = c; });
  } else {
    let j = seq.length - 1;
    const floor = root ?? 0;
    for (let i = end - 1; i >= floor && j >= 0; i--) {
      const k = kwAt(i);
      let found = -1;
      if (k) for (let t = j; t >= 0; t--) if (seq[t]!.ins.keyword === k) { found = t; break; }
      if (found < 0) {
        // Without a known base size an unmatched entry marks where the base image begins.
        if (root === null) break;
        continue;
      }
      assigned[i] = seq[found]!;
      j = found - 1;
    }
  }

  return history.map((h, index): LayerReport => {
    const a = assigned[index];
    const kw = historyKeyword(h.createdBy, builder);
    const empty = h.sizeBytes === 0 && !(kw && FILESYSTEM_KEYWORDS.has(kw));
    const base = { index, createdBy: h.createdBy, sizeBytes: h.sizeBytes, empty };
    if (a === 'label') {
      return { ...base, fromBase: false, line: null, endLine: null, instruction: null, cached: null, durationMs: null, buildLabel: true };
    }
    if (a && a.stage === stage) {
      const t = input.timings?.get(a.ins.line);
      return { ...base, fromBase: false, line: a.ins.line, endLine: a.ins.endLine, instruction: a.ins.text, cached: t?.cached ?? null, durationMs: t?.durationMs ?? null };
    }
    const origin = a ? { stage: a.stage, line: a.ins.line, endLine: a.ins.endLine } : null;
    // Entries above the root base that matched nothing are this stage's own, of unknown origin.
    const own = !a && root !== null && index >= root;
    return { ...base, fromBase: !own, line: null, endLine: null, instruction: null, cached: null, durationMs: null, origin };
  });
}

/** The stage name each stage is built under: its own, or a generated one (targets need names). */
export function buildStageNames(df: ParsedDockerfile): string[] {
  const taken = new Set(df.stages.map((s) => s.name).filter((n): n is string => !!n));
  return df.stages.map((s) => {
    if (s.name) return s.name;
    let n = `stagelens-stage-${s.index}`;
    while (taken.has(n)) n += '-';
    taken.add(n);
    return n;
  });
}

/**
 * Adds `AS <generated name>` to unnamed stages so each can be a build `target`. Only the FROM
 * lines' ends change, so every line number stays the same and build caches stay shared (stage
 * names are not part of any cache key).
 */
export function withStageNames(df: ParsedDockerfile): string {
  const names = buildStageNames(df);
  const parts = df.text.split(/(\r\n|\r|\n)/);
  // parts alternates line, separator, line, …: line L (0-based) is parts[2L].
  for (const s of [...df.stages].reverse()) {
    if (s.name) continue;
    const end = s.from.range.end;
    const idx = end.line * 2;
    const line = parts[idx] ?? '';
    parts[idx] = `${line.slice(0, end.character)} AS ${names[s.index]}${line.slice(end.character)}`;
  }
  return parts.join('');
}

export interface VertexRef { stageName: string | null; step: number; total: number; text: string }

/** Parses BuildKit vertex names like `[builder 2/5] RUN make` (`[linux/amd64 builder 2/5]` with a platform). */
export function parseVertexName(name: string): VertexRef | null {
  const m = /^\[(?:([^\]\s]+)\s+)?(?:([^\]\s]+)\s+)?(\d+)\/(\d+)\]\s*([\s\S]*)$/.exec(name);
  if (!m) return null;
  const stageName = m[2] ?? m[1] ?? null;
  return { stageName: stageName && stageName.includes('/') && !m[2] ? null : stageName, step: Number(m[3]), total: Number(m[4]), text: m[5]!.trim() };
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim().toLowerCase();

function leadingKeyword(text: string): string {
  return (/^\s*([A-Za-z]+)/.exec(text)?.[1] ?? '').toUpperCase();
}

function matchByText(candidates: ParsedInstruction[], text: string): ParsedInstruction | null {
  const kw = leadingKeyword(text);
  const same = candidates.filter((c) => c.keyword === kw);
  const want = squash(text);
  return same.find((c) => squash(`${c.keyword} ${c.rawArgs}`.replace(/\\\r?\n/g, ' ')) === want)
    ?? same.find((c) => want.startsWith(squash(`${c.keyword} ${c.args}`).slice(0, 24)))
    ?? null;
}

/**
 * The instruction a BuildKit vertex belongs to, from its `[stage k/N] TEXT` name.
 * `stageNames` are the names stages were built under (buildStageNames).
 */
export function vertexInstruction(df: ParsedDockerfile, stageNames: string[], vertexName: string): { stage: number; ins: ParsedInstruction } | null {
  const ref = parseVertexName(vertexName);
  if (!ref) return null;
  let stage: ParsedStage | undefined;
  if (ref.stageName) {
    const i = stageNames.indexOf(ref.stageName.toLowerCase());
    stage = i >= 0 ? df.stages[i] : /^stage-(\d+)$/.exec(ref.stageName) ? df.stages[Number(/^stage-(\d+)$/.exec(ref.stageName)![1])] : undefined;
  } else if (df.stages.length === 1) {
    stage = df.stages[0];
  }
  if (!stage) return null;
  const all = [stage.from, ...stage.instructions];
  const llb = [stage.from, ...stage.instructions.filter((i) => LLB_STEP_KEYWORDS.has(i.keyword))];
  const list = llb.length === ref.total ? llb : all.length === ref.total ? all : null;
  const kw = leadingKeyword(ref.text);
  const byStep = list?.[ref.step - 1];
  if (byStep && byStep.keyword === kw) return { stage: stage.index, ins: byStep };
  const byText = matchByText(all, ref.text);
  return byText ? { stage: stage.index, ins: byText } : null;
}

export interface ClassicStep {
  step: number;
  total: number;
  text: string;
  /** Buildah numbers steps within a stage and prefixes `[k/N]`, k counting the stages it builds. */
  buildahStage?: { position: number; count: number } | null;
}

/** Parses the classic builder's `Step 3/9 : RUN make` and Buildah's `[2/3] STEP 2/4: RUN make` lines. */
export function parseClassicStep(line: string): ClassicStep | null {
  const t = line.trim();
  const m = /^Step (\d+)\/(\d+) : ([\s\S]*)$/.exec(t);
  if (m) return { step: Number(m[1]), total: Number(m[2]), text: m[3]!.trim() };
  const b = /^(?:\[(\d+)\/(\d+)\]\s+)?STEP (\d+)\/(\d+): ([\s\S]*)$/.exec(t);
  if (!b) return null;
  return { step: Number(b[3]), total: Number(b[4]), text: b[5]!.trim(), buildahStage: b[1] ? { position: Number(b[1]), count: Number(b[2]) } : null };
}

/**
 * The instruction a classic `Step k/M` belongs to: the classic builder numbers every
 * instruction of the file in order (global ARGs and FROMs included) up to the target stage.
 * Buildah numbers within a stage (FROM is step 1), counting only the stages it builds: the
 * stages of `df` that are not blank placeholders (classicBuildText), when their count agrees.
 */
export function classicStepInstruction(df: ParsedDockerfile, step: Pick<ClassicStep, 'step' | 'text' | 'buildahStage'>): ParsedInstruction | null {
  const kw = leadingKeyword(step.text);
  if (step.buildahStage !== undefined) {
    const built = df.stages.filter((s) => !(s.resolvedBaseImage === 'scratch' && s.instructions.length === 0));
    const stage = step.buildahStage ? (built.length === step.buildahStage.count ? built[step.buildahStage.position - 1] : undefined) : built.length === 1 ? built[0] : undefined;
    const byStep = stage ? [stage.from, ...stage.instructions][step.step - 1] : undefined;
    if (byStep && byStep.keyword === kw) return byStep;
    return matchByText(df.instructions, step.text);
  }
  const byStep = df.instructions[step.step - 1];
  if (byStep && byStep.keyword === kw) return byStep;
  return matchByText(df.instructions, step.text);
}

/** A Dockerfile line number an engine error message names (`dockerfile parse error line 11: …`). */
export function lineFromEngineError(message: string): number | null {
  const m = /(?:parse error (?:on )?line|line) (\d+)\b/i.exec(message);
  return m ? Number(m[1]) : null;
}

/**
 * The classic builder builds every stage before the target, needed or not; a stage the target
 * does not need could fail or cost time. This text keeps only `keep` stages: the others become
 * an empty `FROM scratch AS <name>` with blank lines, so stage indices, names and every line
 * number stay the same.
 */
export function classicBuildText(df: ParsedDockerfile, keep: ReadonlySet<number>): string {
  const names = buildStageNames(df);
  const named = withStageNames(df);
  const parts = named.split(/(\r\n|\r|\n)/);
  for (const s of df.stages) {
    if (keep.has(s.index)) continue;
    for (let l = s.line; l <= s.endLine; l++) parts[(l - 1) * 2] = l === s.line ? `FROM scratch AS ${names[s.index]}` : '';
  }
  return parts.join('');
}
