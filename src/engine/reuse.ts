// Incremental re-analysis (issue 11): which stages of a new Dockerfile text are the same build
// as a stage of the previous analysis, so their measurements can be kept instead of building
// them again. "The same" is decided by CONTENT, never by line numbers: a stage's input key
// hashes the text of its instructions, its resolved base image, the global ARGs, the build
// args, the keys of the stages it is based on / copies from, and — for a stage that reads the
// build context — a fingerprint of the context. Moving a stage down by inserting lines above
// it keeps its key; its lines are then shifted (relocateStage).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { mountOptionsOf, stageClosure, type ParsedDockerfile, type ParsedStage } from '../core/dockerfile/parse';
import type { AnalysisReport, StageReport } from '../core/report';
import { makeContextFilter, readDockerignore } from './context';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Whether an instruction of the stage reads the build context (COPY/ADD without --from, a RUN bind mount without from). */
function contextSources(stage: ParsedStage): string[] | null {
  const out: string[] = [];
  let reads = false;
  for (const ins of stage.instructions) {
    if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      if (ins.flags.some((f) => f.name === 'from')) continue;
      reads = true;
      // The sources: every argument but the last (heredoc and JSON forms count as "anything").
      const a = ins.args.trim();
      if (a.startsWith('[') || ins.heredocs.length) { out.push('.'); continue; }
      const parts = a.split(/\s+/).filter(Boolean);
      out.push(...(parts.length > 1 ? parts.slice(0, -1) : ['.']));
    } else {
      // A mount without a type is a bind mount, and one without `from` binds the context.
      for (const m of mountOptionsOf(ins)) {
        if ((m.type ?? 'bind') === 'bind' && !m.from) { reads = true; out.push(m.source ?? m.src ?? '.'); }
      }
    }
  }
  return reads ? out : null;
}

/**
 * The context sources (sorted, once each) a build of stage `idx` reads — its own and those of
 * the stages it needs — or null when none of them reads the context.
 */
export function closureContextSources(df: ParsedDockerfile, idx: number): string[] | null {
  let out: Set<string> | null = null;
  for (const d of stageClosure(df, idx)) {
    const mine = contextSources(df.stages[d]!);
    if (mine) for (const src of mine) (out ??= new Set()).add(src);
  }
  return out ? [...out].sort() : null;
}

/** Could a COPY source `src` (context-relative, maybe a glob) take in the file `rel`? */
export function sourceMayInclude(src: string, rel: string): boolean {
  const s = src.replace(/^(\.\/)+/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (s === '' || s === '.' || /[*?[\\]/.test(s) || /^https?:\/\//.test(s)) return true;
  return rel === s || rel.startsWith(`${s}/`);
}

export interface InputKeyOptions {
  buildArgs: Record<string, string>;
  /** Fingerprint of the context files (contextFingerprint), null when no stage reads the context. */
  contextKey: string | null;
  /** Path of the Dockerfile inside the context (posix), when a `COPY .` would take it in; its text is part of the build then. */
  dockerfileInContext: string | null;
}

/** One input key per stage (index order). Equal key ⇒ the builder would produce the same image. */
export function stageInputKeys(df: ParsedDockerfile, opts: InputKeyOptions): string[] {
  const globals = df.globalArgs.map((a) => a.text.trim()).join('\n');
  const args = JSON.stringify(Object.entries(opts.buildArgs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const keys: string[] = [];
  for (const stage of df.stages) {
    const parts = [
      `from ${stage.resolvedBaseImage}`,
      `globals ${globals}`,
      `args ${args}`,
      ...stage.instructions.map((i) => `ins ${i.text.split('\n').map((l) => l.trimEnd()).join('\n')}`),
      ...stage.dependsOn.map((d) => `dep ${keys[d] ?? `stage-${d}`}`),
    ];
    const sources = contextSources(stage);
    if (sources) {
      parts.push(`context ${opts.contextKey ?? 'unknown'}`);
      const dfRel = opts.dockerfileInContext;
      if (dfRel && sources.some((s) => sourceMayInclude(s, dfRel))) parts.push(`dockerfile ${sha(df.text)}`);
    }
    keys.push(sha(parts.join('\0')));
  }
  return keys;
}

/** Whether any stage reads the context (then contextFingerprint is worth its walk). */
export function readsContext(df: ParsedDockerfile): boolean {
  return df.stages.some((s) => contextSources(s) !== null);
}

/**
 * Path, size, mode and mtime of every context file .dockerignore lets through (the Dockerfile
 * itself left out: its text is keyed separately). A touched file changes the key, which only
 * costs a rebuild — never a stale measurement.
 */
export function contextFingerprint(contextDir: string, dockerfileRel: string | null): string {
  const filter = makeContextFilter(readDockerignore(contextDir));
  const h = createHash('sha256');
  const walk = (dirRel: string): void => {
    const abs = dirRel ? join(contextDir, dirRel) : contextDir;
    for (const name of readdirSync(abs).sort()) {
      const rel = dirRel ? `${dirRel}/${name}` : name;
      if (rel === dockerfileRel) continue;
      let st;
      try { st = lstatSync(join(abs, name)); } catch { continue; }
      if (filter(rel, () => st.isDirectory())) continue;
      if (st.isDirectory()) { h.update(`d ${rel} ${st.mode}\0`); walk(rel); }
      else if (st.isSymbolicLink()) { let t = ''; try { t = readlinkSync(join(abs, name)); } catch { /* unreadable */ } h.update(`l ${rel} ${t}\0`); }
      else h.update(`f ${rel} ${st.size} ${st.mode} ${st.mtimeMs}\0`);
    }
  };
  walk('');
  return h.digest('hex');
}

/**
 * For each new stage: the stage of the previous report it can take its measurements from
 * (same input key, built without error), or undefined. The engine check (the image still
 * exists) is the caller's.
 */
export function reusableStages(newKeys: readonly string[], previous: Pick<AnalysisReport, 'stages'>): Map<number, StageReport> {
  const byKey = new Map<string, StageReport>();
  for (const s of previous.stages) if (s.inputKey && !s.error && s.imageId && s.sizeBytes !== null) byKey.set(s.inputKey, s);
  const out = new Map<number, StageReport>();
  newKeys.forEach((k, i) => { const s = byKey.get(k); if (s) out.set(i, s); });
  return out;
}

/**
 * Where each instruction line of the previous text is now, for stages matched by key (same
 * instructions in the same order, so the n-th instruction maps to the n-th): first and last
 * lines. `pairs` maps previous stage indexes to new ones.
 */
export function instructionLineMap(prevDf: ParsedDockerfile, df: ParsedDockerfile, pairs: ReadonlyMap<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [pi, ni] of pairs) {
    const a = prevDf.stages[pi]?.instructions ?? [];
    const b = df.stages[ni]?.instructions ?? [];
    if (a.length !== b.length) continue;
    a.forEach((ins, k) => { out.set(ins.line, b[k]!.line); out.set(ins.endLine, b[k]!.endLine); });
  }
  return out;
}

/**
 * The previous measurement of a stage, moved to where the stage is now: index, name and every
 * line (its layers' and the origin of layers from its base stage) through `lines`
 * (instructionLineMap; a line missing there moves as the FROM line did). `indexMap` maps
 * previous stage indexes to new ones.
 */
export function relocateStage(prev: StageReport, now: ParsedStage, indexMap: ReadonlyMap<number, number>, lines: ReadonlyMap<number, number>): StageReport {
  const own = now.line - prev.line;
  const mv = (l: number | null): number | null => (l === null ? null : lines.get(l) ?? l + own);
  return {
    ...prev,
    index: now.index, name: now.name, line: now.line, endLine: now.endLine,
    baseImage: now.resolvedBaseImage, baseStage: now.baseStage,
    layers: prev.layers.map((l) => ({
      ...l,
      line: mv(l.line), endLine: mv(l.endLine),
      ...(l.origin ? { origin: { stage: indexMap.get(l.origin.stage) ?? l.origin.stage, line: mv(l.origin.line)!, endLine: mv(l.origin.endLine)! } } : {}),
    })),
    error: null,
    reused: true,
  };
}
