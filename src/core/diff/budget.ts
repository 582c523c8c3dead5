// Size budgets from `.stagelens.yml`, checked by `stagelens check`. The file is YAML (read with
// the `yaml` library); every error names the key path and the line, because a typo in a budget
// file must not silently turn a budget off. The layer-waste rules reuse dive's `.dive-ci` keys
// and semantics (src/core/layers/ci.ts).
//
//   final:  { maxSize: 150MB, maxGrowth: 5% }
//   stages: { builder: { maxSize: 1.2GB, maxGrowth: 50MB }, "0": { maxSize: 10MB } }
//   layers: { lowestEfficiency: 0.95, highestWastedBytes: 20MB, highestUserWastedPercent: 0.1 }
import { LineCounter, parseDocument, isMap, isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import { evaluateCi, parseBytes, RULE_KEYS, type RuleKey } from '../layers/ci';
import type { LayerContentsReport } from '../layers/types';
import { finalStage, formatBytes, type AnalysisReport } from '../report';
import { formatDelta, formatPercent } from './format';
import type { DiffReport } from './report';

export interface Limit<T> { value: T; line: number; key: string }
export type Growth = { bytes: number } | { percent: number };

export interface SizeBudget {
  maxSize?: Limit<number>;
  maxGrowth?: Limit<Growth>;
}

export interface BudgetConfig {
  final: SizeBudget;
  /** Keyed by stage name (lower case) or index as written. */
  stages: Array<{ stage: string; line: number } & SizeBudget>;
  /** dive's rules (values as dive reads them), with the line each was set on. */
  layers: Partial<Record<RuleKey, Limit<string>>> | null;
}

export class BudgetConfigError extends Error {
  constructor(readonly file: string, readonly line: number | null, readonly key: string, why: string) {
    super(`${file}${line ? `:${line}` : ''}: ${key ? `${key}: ` : ''}${why}`);
    this.name = 'BudgetConfigError';
  }
}

const SIZE_HINT = 'use bytes or a size with a unit, e.g. 150MB, 1.5GB, 512MiB';

export function parseBudgets(text: string, file = '.stagelens.yml'): BudgetConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const lineOf = (n: { range?: [number, number, number] | null } | null | undefined): number | null => (n?.range ? lc.linePos(n.range[0]).line : null);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new BudgetConfigError(file, lc.linePos(e.pos[0]).line, '', `not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const cfg: BudgetConfig = { final: {}, stages: [], layers: null };
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return cfg;
  if (!isMap(root)) throw new BudgetConfigError(file, lineOf(root as Node), '', 'the file must be a mapping with the keys version, final, stages, layers');

  const entries = (m: YAMLMap, path: string): Array<{ key: string; pair: Pair; line: number }> => m.items.map((pair) => {
    const k = pair.key as Node | null;
    if (!isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number')) throw new BudgetConfigError(file, lineOf(k), path, 'keys must be plain names');
    return { key: String(k.value), pair, line: lineOf(k) ?? 0 };
  });
  const scalar = (pair: Pair, key: string, line: number): string | number => {
    const v = pair.value as Node | null;
    if (!isScalar(v) || (typeof v.value !== 'string' && typeof v.value !== 'number')) throw new BudgetConfigError(file, lineOf(v) ?? line, key, 'expected a value such as 150MB');
    return v.value;
  };
  const mapOf = (pair: Pair, key: string, line: number): YAMLMap => {
    const v = pair.value as Node | null;
    if (!isMap(v)) throw new BudgetConfigError(file, lineOf(v) ?? line, key, 'expected a mapping (indented keys below it)');
    return v;
  };
  const size = (raw: string | number, key: string, line: number): number => {
    const n = typeof raw === 'number' ? (Number.isInteger(raw) && raw >= 0 ? raw : null) : parseBytes(raw);
    if (n === null) throw new BudgetConfigError(file, line, key, `"${raw}" is not a size; ${SIZE_HINT}`);
    return n;
  };
  const sizeBudget = (m: YAMLMap, path: string): SizeBudget => {
    const out: SizeBudget = {};
    for (const { key, pair, line } of entries(m, path)) {
      const full = `${path}.${key}`;
      const raw = scalar(pair, full, line);
      const vline = lineOf(pair.value as Node) ?? line;
      if (key === 'maxSize') out.maxSize = { value: size(raw, full, vline), line: vline, key: full };
      else if (key === 'maxGrowth') {
        const pm = typeof raw === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(raw) : null;
        out.maxGrowth = { value: pm ? { percent: parseFloat(pm[1]!) } : { bytes: size(raw, full, vline) }, line: vline, key: full };
      } else throw new BudgetConfigError(file, line, full, `unknown key; ${path} takes maxSize and maxGrowth`);
    }
    return out;
  };

  for (const { key, pair, line } of entries(root, '')) {
    if (key === 'version') {
      const v = scalar(pair, key, line);
      if (v !== 1 && v !== '1') throw new BudgetConfigError(file, line, key, `version ${v} is not supported; this Stage Lens reads version 1`);
    } else if (key === 'final') {
      cfg.final = sizeBudget(mapOf(pair, key, line), 'final');
    } else if (key === 'stages') {
      for (const st of entries(mapOf(pair, key, line), 'stages')) {
        cfg.stages.push({ stage: st.key.toLowerCase(), line: st.line, ...sizeBudget(mapOf(st.pair, `stages.${st.key}`, st.line), `stages.${st.key}`) });
      }
    } else if (key === 'layers') {
      const rules: Partial<Record<RuleKey, Limit<string>>> = {};
      for (const r of entries(mapOf(pair, key, line), 'layers')) {
        const camel = r.key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()) as RuleKey;
        if (!RULE_KEYS.includes(camel)) throw new BudgetConfigError(file, r.line, `layers.${r.key}`, `unknown rule; layers takes ${RULE_KEYS.join(', ')} (dive's .dive-ci rules)`);
        const vline = lineOf(r.pair.value as Node) ?? r.line;
        const value = String(scalar(r.pair, `layers.${r.key}`, r.line));
        // Validate now, with the line, rather than failing later as "misconfigured".
        const probe = evaluateCi({ efficiency: 1, wastedBytes: 0, userWastedPercent: 0, userSizeBytes: 1 }, { ...Object.fromEntries(RULE_KEYS.map((k) => [k, 'disabled'])), [camel]: value });
        const bad = probe.results.find((x) => x.status === 'misconfigured');
        if (bad) throw new BudgetConfigError(file, vline, `layers.${r.key}`, bad.message);
        rules[camel] = { value, line: vline, key: `layers.${r.key}` };
      }
      cfg.layers = rules;
    } else {
      throw new BudgetConfigError(file, line, key, 'unknown key; the file takes version, final, stages and layers');
    }
  }
  return cfg;
}

export interface BudgetInput {
  report: AnalysisReport;
  /** The comparison with the base revision; null when there is none (maxGrowth is then skipped). */
  diff: DiffReport | null;
  /** The final image's layer contents, when `layers` rules are set. */
  layers: LayerContentsReport | null;
  /** How the base is called in messages, e.g. `HEAD`. */
  baseLabel: string;
  /** The config's file name, for `(.stagelens.yml:6)`. */
  file: string;
}

export interface BudgetResult {
  /** One line per broken budget. */
  broken: string[];
  /** Budgets that could not be checked, and why (not failures). */
  skipped: string[];
  /** Budgets checked and kept. */
  passed: number;
}

function growthBroken(g: Growth, before: number, delta: number): boolean {
  return 'percent' in g ? before > 0 ? (delta / before) * 100 > g.percent : delta > 0 : delta > g.bytes;
}

function growthText(g: Growth): string { return 'percent' in g ? `${g.percent}%` : formatBytes(g.bytes); }

/** Config keys that name no stage of the Dockerfile (a typo would silently drop the budget). */
export function unknownStages(cfg: BudgetConfig, report: { stages: ReadonlyArray<{ name: string | null; index: number }> }): Array<{ stage: string; line: number }> {
  return cfg.stages.filter((b) => !report.stages.some((s) => s.name === b.stage || String(s.index) === b.stage));
}

export function evaluateBudgets(cfg: BudgetConfig, input: BudgetInput): BudgetResult {
  const res: BudgetResult = { broken: [], skipped: [], passed: 0 };
  const at = (l: { line: number }): string => ` (${input.file}:${l.line})`;
  const check = (label: string, size: number | null, before: { size: number | null; known: boolean }, b: SizeBudget): void => {
    if (b.maxSize) {
      if (size === null) res.skipped.push(`${label}: not built, maxSize not checked`);
      else if (size > b.maxSize.value) res.broken.push(`${label} is ${formatBytes(size)}, over ${b.maxSize.key} ${formatBytes(b.maxSize.value)}${at(b.maxSize)}`);
      else res.passed++;
    }
    if (b.maxGrowth) {
      if (!before.known) res.skipped.push(`${label}: no ${input.baseLabel} to compare with, ${b.maxGrowth.key} not checked`);
      else if (size === null || before.size === null) res.skipped.push(`${label}: not built on both sides, ${b.maxGrowth.key} not checked`);
      else {
        const delta = size - before.size;
        if (growthBroken(b.maxGrowth.value, before.size, delta)) {
          res.broken.push(`${label} grew ${formatDelta(delta)} (${formatPercent(before.size, delta) || 'new'}) vs ${input.baseLabel}, over ${b.maxGrowth.key} ${growthText(b.maxGrowth.value)}${at(b.maxGrowth)}`);
        } else res.passed++;
      }
    }
  };
  for (const s of input.report.stages) if (s.error) res.broken.push(`stage ${s.name ?? `#${s.index}`} failed to build${s.error.line ? ` at line ${s.error.line}` : ''}: ${s.error.message.split('\n')[0]}`);
  const fin = finalStage(input.report);
  check('final image', fin && !fin.error ? fin.sizeBytes : null, {
    known: !!input.diff?.final.before, size: input.diff?.final.before?.sizeBytes ?? null,
  }, cfg.final);
  for (const b of cfg.stages) {
    const s = input.report.stages.find((x) => x.name === b.stage || String(x.index) === b.stage);
    if (!s) { res.broken.push(`stages.${b.stage} names no stage of the Dockerfile${at(b)}`); continue; }
    const d = input.diff?.stages.find((x) => x.after?.index === s.index);
    check(`stage ${s.name ?? `#${s.index}`}`, s.error ? null : s.sizeBytes, { known: !!d?.before, size: d?.before?.sizeBytes ?? null }, b);
  }
  if (cfg.layers) {
    if (!input.layers) res.skipped.push('layers: the final image was not built, layer rules not checked');
    else {
      const given = Object.fromEntries(Object.entries(cfg.layers).map(([k, v]) => [k, v!.value]));
      const ci = evaluateCi(input.layers, given);
      for (const r of ci.results) {
        if (r.status === 'fail') {
          const set = cfg.layers[r.rule];
          res.broken.push(`final image layers: ${r.message}${set ? at(set) : ` (dive's default ${r.rule}: ${r.value})`}`);
        } else if (r.status === 'pass') res.passed++;
      }
    }
  }
  return res;
}
