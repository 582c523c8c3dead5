// Builds ONE stage: sends the context, runs the single `POST /build` for the stage's target
// and turns the builder's progress (BuildKit vertexes, classic/Buildah step lines) into
// progress events and per-instruction timings. What the result means (failure, measurement)
// is decided by the caller.
import { parseDockerfile, stageClosure, stageRef, type ParsedDockerfile } from '../core/dockerfile/parse';
import { classicBuildText, classicStepInstruction, parseClassicStep, vertexInstruction, type StepTiming } from '../core/layermap';
import type { BuilderKind, StageError } from '../core/report';
import { runBuild, type BuildResult } from './build';
import type { BuildkitVertex } from './buildkit-status';
import type { EngineConnection } from './connection';
import type { ContextTransport } from './context';
import { isBuildkitUnavailable, missingBaseOfVertex, type MissingBase } from './errors';
import { LABELS, type AnalysisPlan } from './plan';

export type ProgressEvent =
  | { type: 'context'; stage: number; bytes: number; done: boolean }
  | { type: 'stage-start'; stage: number; name: string | null; builder: BuilderKind; position: number; count: number }
  | { type: 'stage-finish'; stage: number; name: string | null; imageId: string | null; error: StageError | null; buildMs: number; sizeBytes: number | null; reused?: boolean }
  | { type: 'vertex'; stage: number; id: string; name: string; cached: boolean; started: number | null; completed: number | null; error: string | null; line: number | null }
  | { type: 'log'; stage: number; vertex: string | null; line: number | null; stream: number; text: string }
  | { type: 'classic'; stage: number; text: string; line: number | null; cached: boolean };

export interface StageBuildInput {
  plan: AnalysisPlan;
  conn: EngineConnection;
  stage: number;
  tag: string;
  builder: BuilderKind;
  /** Whether the builder was the user's choice (no fallback) or ours. */
  builderChosen: boolean;
  network?: string;
  signal?: AbortSignal;
  emit: (e: ProgressEvent) => void;
  /** The analysis's context transport; replaced (via `openTransport`) when BuildKit turns out to be off. */
  transport: { current: ContextTransport };
  openTransport: (builder: BuilderKind) => Promise<ContextTransport>;
}

export interface StageBuildOutcome {
  result: BuildResult;
  /** The builder that ran (classic when BuildKit turned out to be switched off). */
  builder: BuilderKind;
  timings: Map<number, StepTiming>;
  /** The line of the instruction that failed, when the builder said. */
  failLine: number | null;
  missingBase: MissingBase | null;
  contextBytes: number;
  buildMs: number;
  /** How long BuildKit took to export the image (its "exporting to image" step); null without that step (classic, Buildah). */
  exportMs: number | null;
}

/** Normalises an image reference the way BuildKit prints it (`docker.io/library/x:latest`). */
function normalizeImageRef(ref: string): string {
  let r = ref.trim().toLowerCase();
  const lastSlash = r.lastIndexOf('/');
  if (!r.includes('@') && !r.slice(lastSlash + 1).includes(':')) r += ':latest';
  const first = r.split('/')[0]!;
  if (!r.includes('/')) r = `docker.io/library/${r}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') r = `docker.io/${r}`;
  return r;
}

/** The FROM line (among `stages`) whose base image is `image`, as BuildKit names it. */
function fromLineOf(df: ParsedDockerfile, stages: number[], image: string): number | null {
  const want = normalizeImageRef(image);
  for (const i of stages) {
    const s = df.stages[i]!;
    if (s.baseStage === null && normalizeImageRef(s.resolvedBaseImage) === want) return s.line;
  }
  return null;
}

export async function buildStage(input: StageBuildInput): Promise<StageBuildOutcome> {
  const { plan, conn, stage: idx, tag, emit } = input;
  const { df, buildArgs } = plan;
  const stage = df.stages[idx]!;
  let builder = input.builder;
  const t0 = Date.now();
  for (;;) {
    // The classic builder (and Buildah) get a text without the stages this target does not
    // need; "Step k/M" numbers then refer to that text (same lines, fewer instructions).
    const stepDf = builder === 'buildkit' ? null : parseDockerfile(classicBuildText(df, new Set(stageClosure(df, idx))), buildArgs);
    let lastReported = 0;
    const ctx = await input.transport.current.prepare(stepDf ? stepDf.text : plan.buildText, (n, done) => {
      if (done || n - lastReported >= 1 << 20) { lastReported = n; emit({ type: 'context', stage: idx, bytes: n, done }); }
    });
    const timings = new Map<number, StepTiming>();
    const classic = { current: null as { line: number; start: number } | null };
    const vertexLine = new Map<string, number | null>();
    const seen = new Map<string, BuildkitVertex>();
    const lineOfVertex = (v: BuildkitVertex): number | null => {
      if (!vertexLine.has(v.digest)) vertexLine.set(v.digest, vertexInstruction(df, plan.buildNames, v.name)?.ins.line ?? null);
      return vertexLine.get(v.digest)!;
    };
    let result: BuildResult;
    try {
    result = await runBuild({
      docker: conn.docker, context: ctx.context, dockerfileName: ctx.dockerfileName, builder, target: plan.buildNames[idx]!, tag,
      labels: { [LABELS.managed]: 'true', [LABELS.dockerfile]: plan.dockerfilePath, [LABELS.stage]: stageRef({ name: stage.name, index: idx }), [LABELS.hash]: plan.hash },
      buildArgs, network: input.network, signal: input.signal,
      onVertex: (v) => {
        seen.set(v.digest, v);
        const line = lineOfVertex(v);
        emit({ type: 'vertex', stage: idx, id: v.digest, name: v.name, cached: v.cached, started: v.started, completed: v.completed, error: v.error, line });
      },
      onLog: (l) => {
        const v = seen.get(l.vertex);
        emit({ type: 'log', stage: idx, vertex: l.vertex || null, line: v ? lineOfVertex(v) : null, stream: l.stream, text: l.text });
      },
      onStream: (s) => {
        const step = parseClassicStep(s);
        const now = Date.now();
        if (step) {
          if (classic.current) { const t = timings.get(classic.current.line); if (t) t.durationMs = now - classic.current.start; }
          const ins = classicStepInstruction(stepDf ?? df, step);
          classic.current = ins ? { line: ins.line, start: now } : null;
          if (ins) timings.set(ins.line, { cached: false, durationMs: null });
        } else if (/^\s*(---> Using cache|--> Using cache)/.test(s) && classic.current) {
          timings.get(classic.current.line)!.cached = true;
        } else if (/^(Successfully built|COMMIT\b|Successfully tagged)/.test(s) && classic.current) {
          const t = timings.get(classic.current.line); if (t && t.durationMs === null) t.durationMs = now - classic.current.start;
          if (/^Successfully built/.test(s)) classic.current = null;
        }
        emit({ type: 'classic', stage: idx, text: s, line: classic.current?.line ?? null, cached: classic.current ? !!timings.get(classic.current.line)?.cached : false });
      },
    });
    } finally { ctx.end(); }
    if (!input.builderChosen && builder === 'buildkit' && !result.aborted && isBuildkitUnavailable(result.error)) {
      builder = 'classic';
      input.transport.current.close();
      input.transport.current = await input.openTransport(builder);
      continue;
    }
    let failLine: number | null = null;
    let missingBase: MissingBase | null = null;
    let exportMs: number | null = null;
    if (builder === 'buildkit') {
      for (const v of result.vertexes.values()) {
        if (/^exporting to /i.test(v.name) && v.started && v.completed) exportMs = (exportMs ?? 0) + (v.completed - v.started);
        const missing = missingBaseOfVertex(v.name, v.error);
        if (missing && !missingBase) missingBase = { image: missing, line: fromLineOf(df, stageClosure(df, idx), missing) };
        const line = lineOfVertex(v);
        if (line === null) continue;
        const dur = v.started && v.completed ? v.completed - v.started : null;
        timings.set(line, { cached: v.cached, durationMs: dur });
        if (v.error && failLine === null) failLine = line;
      }
    } else if (result.error && classic.current) {
      failLine = classic.current.line;
      const from = df.stages.find((x) => x.line === failLine);
      if (from && from.baseStage === null) missingBase = { image: from.resolvedBaseImage, line: from.line };
    }
    return { result, builder, timings, failLine, missingBase, contextBytes: ctx.bytes(), buildMs: Date.now() - t0, exportMs };
  }
}
