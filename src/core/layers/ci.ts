// `stagelens layers --ci`: dive's CI rules, read from dive's own `.dive-ci` file so a team can
// switch without rewriting its config. Semantics follow dive (runtime/ci/rule.go):
//   lowestEfficiency          fail when efficiency < value (value in 0..1)
//   highestWastedBytes        fail when wastedBytes > value (bytes, or "20MB"/"20MiB"/…)
//   highestUserWastedPercent  fail when userWastedPercent > value (a ratio in 0..1)
// The value "disabled" skips a rule; an invalid value makes the whole config misconfigured (dive
// then fails without evaluating). Defaults are dive's: 0.9, disabled, 0.1.
import type { LayerContentsReport } from './types';

export type RuleKey = 'lowestEfficiency' | 'highestWastedBytes' | 'highestUserWastedPercent';
export const RULE_KEYS: RuleKey[] = ['lowestEfficiency', 'highestWastedBytes', 'highestUserWastedPercent'];
export const DEFAULT_RULES: Record<RuleKey, string> = { lowestEfficiency: '0.9', highestWastedBytes: 'disabled', highestUserWastedPercent: '0.1' };

export interface RuleResult {
  rule: RuleKey;
  status: 'pass' | 'fail' | 'skip' | 'misconfigured';
  value: string;
  message: string;
}

export interface CiResult {
  pass: boolean;
  misconfigured: boolean;
  results: RuleResult[];
}

const camel = (k: string): string => k.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

function unquote(v: string): string {
  const t = v.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
}

/**
 * Reads the YAML subset `.dive-ci` files use: `rules:` followed by indented `key: value` lines,
 * comments and blank lines. Keys may be camelCase or kebab-case; keys at the top level are
 * accepted too. Unknown keys are ignored, like dive does.
 */
export function parseDiveCi(text: string): { rules: Partial<Record<RuleKey, string>>; errors: string[] } {
  const rules: Partial<Record<RuleKey, string>> = {};
  const errors: string[] = [];
  let section: string | null = null;
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const line = rawLine.replace(/(^|\s)#.*$/, '');
    if (!line.trim()) return;
    const m = /^(\s*)([A-Za-z][\w-]*)\s*:\s*(.*)$/.exec(line);
    if (!m) { errors.push(`line ${i + 1}: cannot read "${rawLine.trim()}"`); return; }
    const [, indent, key, value] = m;
    if (indent!.length === 0) {
      section = value!.trim() === '' ? key! : null;
      if (section === null) {
        const k = camel(key!) as RuleKey;
        if (RULE_KEYS.includes(k)) rules[k] = unquote(value!);
      }
      return;
    }
    if (section !== 'rules') return;
    const k = camel(key!) as RuleKey;
    if (RULE_KEYS.includes(k)) rules[k] = unquote(value!);
  });
  return { rules, errors };
}

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 1024, kib: 1024, mi: 1024 ** 2, mib: 1024 ** 2, gi: 1024 ** 3, gib: 1024 ** 3, ti: 1024 ** 4, tib: 1024 ** 4,
};

/** Byte sizes the way dive's humanize.ParseBytes reads them: `1000`, `20MB` (10^6), `20MiB`. */
export function parseBytes(v: string): number | null {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(v.replace(/,/g, ''));
  if (!m) return null;
  const mult = UNITS[m[2]!.toLowerCase()];
  if (mult === undefined) return null;
  return Math.floor(parseFloat(m[1]!) * mult);
}

function ratio(v: string): number | null {
  if (!/^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return null;
  return parseFloat(v);
}

export function evaluateCi(report: Pick<LayerContentsReport, 'efficiency' | 'wastedBytes' | 'userWastedPercent' | 'userSizeBytes'>, given: Partial<Record<RuleKey, string>>): CiResult {
  const cfg = { ...DEFAULT_RULES, ...given };
  const results: RuleResult[] = [];
  let misconfigured = false;
  for (const rule of RULE_KEYS) {
    const value = cfg[rule].trim();
    if (value === 'disabled') { results.push({ rule, status: 'skip', value, message: 'rule disabled' }); continue; }
    let bad: string | null = null;
    if (rule === 'highestWastedBytes') {
      if (parseBytes(value) === null) bad = `invalid config value ('${value}')`;
    } else {
      const r = ratio(value);
      if (r === null) bad = `invalid config value ('${value}')`;
      else if (r < 0 || r > 1) bad = `${rule} config value is outside allowed range (0-1), given '${value}'`;
    }
    if (bad) { misconfigured = true; results.push({ rule, status: 'misconfigured', value, message: bad }); continue; }
    results.push({ rule, status: 'pass', value, message: '' });
  }
  if (misconfigured) return { pass: false, misconfigured, results };

  // dive's ratio: wasted / user size, computed unguarded (0/0 → NaN passes, x/0 → +Inf fails).
  const userWasted = report.userWastedPercent ?? report.wastedBytes / report.userSizeBytes;
  for (const r of results) {
    if (r.status !== 'pass') continue;
    if (r.rule === 'lowestEfficiency') {
      const t = ratio(r.value)!;
      if (t > report.efficiency) { r.status = 'fail'; r.message = `image efficiency is too low (efficiency=${fmt(report.efficiency)} < threshold=${r.value})`; }
    } else if (r.rule === 'highestWastedBytes') {
      const t = parseBytes(r.value)!;
      if (report.wastedBytes > t) { r.status = 'fail'; r.message = `too many bytes wasted (wasted-bytes=${report.wastedBytes} > threshold=${t})`; }
    } else {
      const t = ratio(r.value)!;
      if (t < userWasted) { r.status = 'fail'; r.message = `too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=${fmt(userWasted)} > threshold=${r.value})`; }
    }
  }
  return { pass: results.every((r) => r.status !== 'fail'), misconfigured: false, results };
}

function fmt(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 10000) / 10000) : String(n);
}
