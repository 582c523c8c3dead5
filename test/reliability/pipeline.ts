// One pass of a Dockerfile text through everything static that Stage Lens does with it:
// parse → suggestions → multi-stage rewrite (the latter two as far as they exist yet), with
// the invariants each step must keep for ANY input. Returns the violated invariants; throwing
// is itself a violation the caller counts as a crash.
import { baseChain, parseDockerfile, stageClosure } from '../../src/core/dockerfile/parse';

type Analyze = (text: string, opts?: Record<string, unknown>) => unknown;
type Refactor = (text: string, opts?: Record<string, unknown>) => unknown;

/** Loads an export from the first module path that exists; null while it has not landed. */
function optionalExport<T>(paths: string[], name: string): T | null {
  for (const p of paths) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(p) as Record<string, unknown>;
      if (typeof mod[name] === 'function') return mod[name] as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  return null;
}

export const analyzeDockerfile = optionalExport<Analyze>(['../../src/core/suggest', '../../src/core/suggest/index', '../../src/core/suggest/analyze'], 'analyzeDockerfile');
export const refactorToMultiStage = optionalExport<Refactor>(['../../src/core/refactor', '../../src/core/refactor/index', '../../src/core/refactor/multistage', '../../src/core/refactor/multiStage'], 'refactorToMultiStage');

export const stepsAvailable = ['parse', ...(analyzeDockerfile ? ['findings'] : []), ...(refactorToMultiStage ? ['rewrite'] : [])];

export interface PipelineResult {
  violations: string[];
  parseMs: number;
  totalMs: number;
  findingsMs: number;
  rewriteMs: number;
  problems: number;
  findings: number;
  rewritten: boolean;
}

const lineCountOf = (text: string): number => text.replace(/^\ufeff/, '').split(/\r\n|\r|\n/).length;

function lineOk(v: unknown, lines: number, base: 0 | 1): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= base && v < lines + base;
}

/** Checks a finding's position fields, whatever its exact shape, against the document. */
function findingViolations(f: unknown, lines: number, i: number): string[] {
  const out: string[] = [];
  if (typeof f !== 'object' || f === null) return [`finding ${i} is not an object`];
  const r = f as Record<string, unknown>;
  if (typeof r.message !== 'string' || !r.message) out.push(`finding ${i} has no message`);
  for (const k of ['line', 'endLine']) if (k in r && r[k] !== null && !lineOk(r[k], lines, 1)) out.push(`finding ${i} ${k}=${String(r[k])} outside 1..${lines}`);
  const range = r.range as { start?: { line?: unknown }; end?: { line?: unknown } } | undefined;
  if (range && typeof range === 'object') {
    if (!lineOk(range.start?.line, lines, 0) || !lineOk(range.end?.line, lines, 0)) out.push(`finding ${i} range outside the document`);
  }
  return out;
}

export function runPipeline(text: string, wrong: boolean): PipelineResult {
  const violations: string[] = [];
  const t0 = performance.now();
  const df = parseDockerfile(text);
  const parseMs = performance.now() - t0;
  const lines = lineCountOf(text);

  if (!Array.isArray(df.stages) || !Array.isArray(df.instructions) || !Array.isArray(df.problems)) violations.push('parse result misses arrays');
  for (const ins of df.instructions) {
    if (!(lineOk(ins.line, lines, 1) && lineOk(ins.endLine, lines, 1) && ins.line <= ins.endLine)) {
      violations.push(`instruction ${ins.keyword} at ${ins.line}-${ins.endLine} outside 1..${lines}`);
      break;
    }
  }
  df.stages.forEach((s, i) => {
    if (s.index !== i) violations.push(`stage ${i} has index ${s.index}`);
    if (s.dependsOn.some((d) => d >= i || d < 0)) violations.push(`stage ${i} depends on a later stage ${s.dependsOn.join(',')}`);
  });
  if (wrong && df.problems.length === 0) violations.push('wrong input but no parse problem');
  for (const p of df.problems) {
    if (typeof p.message !== 'string' || !p.message) violations.push('problem without message');
    if (p.line !== null && !lineOk(p.line, lines, 1)) violations.push(`problem line ${p.line} outside 1..${lines}`);
  }
  // The graph helpers walk dependencies; a 10,000-stage chain must not blow the stack.
  if (df.stages.length) {
    const last = df.stages.length - 1;
    stageClosure(df, last);
    baseChain(df, last);
  }

  let findings = 0;
  const t1 = performance.now();
  if (analyzeDockerfile) {
    const fs = analyzeDockerfile(text, {});
    if (!Array.isArray(fs)) violations.push('analyzeDockerfile did not return an array');
    else {
      findings = fs.length;
      fs.forEach((f, i) => violations.push(...findingViolations(f, lines, i)));
    }
  }

  const findingsMs = performance.now() - t1;
  let rewritten = false;
  const t2 = performance.now();
  if (refactorToMultiStage) {
    const r = refactorToMultiStage(text) as { text?: unknown; changed?: unknown } | null;
    if (!r || typeof r.text !== 'string' || typeof r.changed !== 'boolean') violations.push('refactorToMultiStage returned no {text, changed}');
    else if (r.changed) {
      rewritten = true;
      // A rewrite is only offered for a Dockerfile without problems, and must not introduce any.
      const again = parseDockerfile(r.text);
      if (again.stages.length < 1) violations.push('rewrite has no stage');
      if (again.problems.length > 0) violations.push(`rewrite has parse problems: ${again.problems.map((p) => p.message).join('; ').slice(0, 200)}`);
      if (r.text === text) violations.push('rewrite says changed but the text is the same');
    } else if (r.text !== text) violations.push('rewrite says unchanged but the text differs');
  }
  const rewriteMs = performance.now() - t2;
  return { violations, parseMs, findingsMs, rewriteMs, totalMs: performance.now() - t0, problems: df.problems.length, findings, rewritten };
}
