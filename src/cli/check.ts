// `stagelens check [DOCKERFILE] [--base REV|--base-file FILE] [--config FILE]`: builds the
// Dockerfile, compares it with the base when a budget needs growth, and exits 1 with one line
// per broken budget of `.stagelens.yml` (0 when every budget holds).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { BudgetConfigError, evaluateBudgets, parseBudgets, unknownStages, type BudgetConfig } from '../core/diff';
import { parseDockerfile } from '../core/dockerfile/parse';
import { EXIT, UserError, flag, hasFlag, parseArgs, type CliIO } from './common';
import { COMPARE_VALUED, readBase, readDockerfileArg, runCompare, type BaseText } from './compare';

function findConfig(given: string | undefined, dockerfile: string): string {
  if (given) {
    if (!existsSync(given)) throw new UserError(`--config ${given}: no such file.`);
    return resolve(given);
  }
  for (const dir of [process.cwd(), dirname(dockerfile)]) {
    const f = join(dir, '.stagelens.yml');
    if (existsSync(f)) return f;
  }
  throw new UserError('No .stagelens.yml here or beside the Dockerfile. Write one with budgets (see "Compare and gate" in the README), or pass --config FILE.');
}

function loadConfig(path: string): BudgetConfig {
  const name = relative(process.cwd(), path) || path;
  try {
    return parseBudgets(readFileSync(path, 'utf8'), name);
  } catch (e) {
    if (e instanceof BudgetConfigError) throw new UserError(e.message);
    throw e;
  }
}

const needsBase = (c: BudgetConfig): boolean => !!c.final.maxGrowth || c.stages.some((s) => s.maxGrowth);

export async function run(argv: string[], io: CliIO, signal: AbortSignal): Promise<number> {
  const p = parseArgs(argv, ['json'], [...COMPARE_VALUED, 'config']);
  if (p.positional.length > 1) throw new UserError('check takes one Dockerfile path.');
  const current = readDockerfileArg(p.positional[0], 'check');
  const configPath = findConfig(flag(p, 'config'), current.path);
  const cfg = loadConfig(configPath);
  const configName = relative(process.cwd(), configPath) || configPath;
  // A budget for a stage that does not exist is a typo: say so before spending a build on it.
  const stages = parseDockerfile(current.text).stages;
  const unknown = unknownStages(cfg, { stages });
  if (unknown.length) {
    throw new UserError(`${configName}:${unknown[0]!.line}: stages.${unknown[0]!.stage} names no stage of the Dockerfile (stages: ${stages.map((s) => s.name ?? String(s.index)).join(', ')}).`);
  }
  const explicitBase = !!(flag(p, 'base') || flag(p, 'base-file'));
  let base: BaseText | null = null;
  const notes: string[] = [];
  if (needsBase(cfg) || explicitBase) {
    try {
      base = await readBase(p, current.path, signal);
    } catch (e) {
      // Without an explicit base, a new file (or no git) just means growth cannot be measured.
      if (explicitBase || !(e instanceof UserError)) throw e;
      notes.push(`maxGrowth not checked: ${e.message}`);
    }
  }
  // Without a base the "before" build is the same text: the cache makes it nearly free, and the
  // same code path serves both cases.
  const baseOrSelf: BaseText = base ?? { text: current.text, base: { kind: 'file', ref: '(none)' } };
  const res = await runCompare(p, current, baseOrSelf, io, signal, { topFiles: 0, wantLayers: !!cfg.layers });
  const result = evaluateBudgets(cfg, { report: res.after, diff: base ? res.diff : null, layers: res.layers, baseLabel: base?.base.ref ?? 'the base', file: configName });
  for (const n of [...notes, ...result.skipped]) io.err(`note: ${n}`);
  if (hasFlag(p, 'json')) {
    io.out(JSON.stringify({ schemaVersion: 1, kind: 'stagelens-check', config: configName, pass: result.broken.length === 0, ...result, diff: base ? res.diff : null }, null, 2));
  } else if (result.broken.length) {
    for (const b of result.broken) io.out(`over budget: ${b}`);
  } else {
    io.out(`ok: ${result.passed} budget${result.passed === 1 ? '' : 's'} kept (${configName}).`);
  }
  return result.broken.length ? EXIT.failed : EXIT.ok;
}
