// Just enough shell understanding for rules and rewrites: split a RUN command into
// `&&`/`;`/`||`-separated segments and words, honouring quotes. Not a shell parser —
// anything unusual simply matches no rule.
import type { ParsedInstruction } from '../dockerfile/parse';

/** The command a RUN executes, with exec form joined and heredoc bodies included. */
export function runCommand(ins: ParsedInstruction): string {
  if (ins.heredocs.length > 0) {
    const lines = ins.text.split(/\r?\n/);
    const body = lines.slice(1).filter((l) => !ins.heredocs.includes(l.trim()));
    return [ins.args.replace(/<<-?\s*["']?\w+["']?/g, ''), ...body].join(' ; ');
  }
  const a = ins.args.trim();
  if (a.startsWith('[')) {
    try {
      const arr: unknown = JSON.parse(a);
      if (Array.isArray(arr)) return arr.map(String).join(' ');
    } catch { /* not JSON: the builder runs it through the shell */ }
  }
  return a;
}

/** Splits a command line into segments at `&&`, `||`, `;`, `|` and newlines outside quotes. */
export function segments(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q: string | null = null;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (q) { cur += c; if (c === q) q = null; else if (c === '\\' && q === '"' && i + 1 < cmd.length) cur += cmd[++i]; continue; }
    if (c === '"' || c === "'") { q = c; cur += c; continue; }
    if (c === '\\' && i + 1 < cmd.length) { cur += c + cmd[++i]; continue; }
    if ((c === '&' && cmd[i + 1] === '&') || (c === '|' && cmd[i + 1] === '|')) { out.push(cur); cur = ''; i++; continue; }
    if (c === ';' || c === '\n' || c === '|') { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

const segCache = new WeakMap<ParsedInstruction, string[]>();

/** `segments(runCommand(ins))`, memoised per instruction: every rule asks for it. */
export function runSegments(ins: ParsedInstruction): string[] {
  let v = segCache.get(ins);
  if (!v) { v = segments(runCommand(ins)); segCache.set(ins, v); }
  return v;
}

// Segments repeat a lot across rules and instructions; a small bounded cache keeps words() cheap.
const wordsCache = new Map<string, string[]>();

/** Words of one segment, quotes removed (do not mutate the result: it is shared). */
export function words(segment: string): string[] {
  const hit = wordsCache.get(segment);
  if (hit) return hit;
  if (wordsCache.size > 4096) wordsCache.clear();
  const w = splitWords(segment);
  wordsCache.set(segment, w);
  return w;
}

function splitWords(segment: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: string | null = null;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (q) { if (c === q) q = null; else cur += c; continue; }
    if (c === '"' || c === "'") { q = c; has = true; continue; }
    if (c === '\\' && i + 1 < segment.length) { cur += segment[++i]; has = true; continue; }
    if (/\s/.test(c)) { if (has || cur) out.push(cur); cur = ''; has = false; continue; }
    cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}

/** Drops leading `VAR=value` assignments, `sudo`, `env` and `exec` so the program name comes first. */
export function commandWords(segment: string): { env: Record<string, string>; argv: string[] } {
  const w = words(segment);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < w.length; i++) {
    const m = /^([A-Za-z_]\w*)=(.*)$/.exec(w[i]!);
    if (m) { env[m[1]!] = m[2]!; continue; }
    if (w[i] === 'sudo' || w[i] === 'env' || w[i] === 'exec' || w[i] === 'command') continue;
    break;
  }
  return { env, argv: w.slice(i) };
}

export type PackageManager = 'apt' | 'apk' | 'yum';

/** Packages installed by an `apt-get/apt install`, `apk add`, `yum/dnf/microdnf install` segment. */
export function installedPackages(segment: string): { manager: PackageManager; packages: string[]; options: string[] } | null {
  const { argv } = commandWords(segment);
  const prog = argv[0]?.replace(/^.*\//, '');
  let manager: PackageManager | null = null;
  let verbIdx = -1;
  if (prog === 'apt-get' || prog === 'apt' || prog === 'aptitude') { manager = 'apt'; verbIdx = argv.indexOf('install'); }
  else if (prog === 'apk') { manager = 'apk'; verbIdx = argv.indexOf('add'); }
  else if (prog === 'yum' || prog === 'dnf' || prog === 'microdnf') { manager = 'yum'; verbIdx = argv.indexOf('install'); }
  if (!manager || verbIdx < 0) return null;
  const packages: string[] = [];
  const options: string[] = [];
  const takesValue = new Set(['-o', '-t', '--target-release', '--virtual', '-X', '--repository', '--root', '-c']);
  for (let i = 1; i < argv.length; i++) {
    if (i === verbIdx) continue;
    const a = argv[i]!;
    if (a.startsWith('-')) { options.push(a); if (takesValue.has(a) && i + 1 < argv.length) options.push(argv[++i]!); continue; }
    if (i > verbIdx) packages.push(a.replace(/[=<>].*$/, ''));
  }
  return { manager, packages, options };
}

const PIP_RE = /^(?:(?:\S*\/)?python[\d.]*\s+-m\s+)?(?:\S*\/)?pip[\d.]*$/;

/** Arguments of a `pip install` segment (also `python -m pip install`), or null. */
export function pipInstall(segment: string): string[] | null {
  const { argv } = commandWords(segment);
  let i = 0;
  if (/^(?:\S*\/)?python[\d.]*$/.test(argv[0] ?? '') && argv[1] === '-m' && /^pip[\d.]*$/.test(argv[2] ?? '')) i = 3;
  else if (PIP_RE.test(argv[0] ?? '')) i = 1;
  else return null;
  if (argv[i] !== 'install') return null;
  return argv.slice(i + 1);
}

export type NodeManager = 'npm' | 'yarn' | 'pnpm';

/** A dependency install from package.json (`npm ci`, `npm install` without package names, `yarn`, `pnpm install`). */
export function nodeInstall(segment: string): { manager: NodeManager; args: string[]; env: Record<string, string> } | null {
  const { env, argv } = commandWords(segment);
  const prog = argv[0]?.replace(/^.*\//, '');
  if (prog === 'npm' && ['ci', 'install', 'i', 'clean-install'].includes(argv[1] ?? '')) {
    const rest = argv.slice(2);
    if (rest.some((a) => !a.startsWith('-'))) return null; // named packages, not the project's deps
    if (rest.includes('-g') || rest.includes('--global')) return null;
    return { manager: 'npm', args: rest, env };
  }
  if (prog === 'yarn' && (argv.length === 1 || argv[1] === 'install' || (argv[1]?.startsWith('-') ?? false))) {
    return { manager: 'yarn', args: argv.slice(argv[1] === 'install' ? 2 : 1), env };
  }
  if (prog === 'pnpm' && (argv[1] === 'install' || argv[1] === 'i')) {
    const rest = argv.slice(2);
    if (rest.some((a) => !a.startsWith('-'))) return null;
    return { manager: 'pnpm', args: rest, env };
  }
  return null;
}

/** Whether a node install leaves devDependencies out. */
export function nodeInstallIsProduction(inst: { manager: NodeManager; args: string[]; env: Record<string, string> }, nodeEnv: string | null): boolean {
  const a = inst.args;
  if ((inst.env.NODE_ENV ?? nodeEnv) === 'production') return true;
  if (inst.manager === 'npm') return a.some((x) => /^--omit=dev$|^--only=prod(uction)?$|^--production(=true)?$/.test(x));
  if (inst.manager === 'yarn') return a.some((x) => /^--prod(uction)?(=true)?$/.test(x));
  return a.some((x) => x === '--prod' || x === '-P' || x === '--production');
}

/** Paths removed by an `rm` segment. */
export function removedPaths(segment: string): string[] {
  const { argv } = commandWords(segment);
  if (argv[0]?.replace(/^.*\//, '') !== 'rm') return [];
  return argv.slice(1).filter((a) => !a.startsWith('-'));
}

/** A path with trailing `/`, `/*` and `/.` removed, for comparisons. */
export function normalizePath(p: string): string {
  let s = p.replace(/\/+\*?$/, '').replace(/\/\.$/, '');
  if (s === '') s = '/';
  return s;
}

export function joinPath(dir: string, p: string): string {
  if (p.startsWith('/')) return p;
  const base = dir.endsWith('/') ? dir : dir + '/';
  const parts: string[] = [];
  for (const seg of (base + p).split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop(); else parts.push(seg);
  }
  return '/' + parts.join('/');
}

/** Sources and destination of a COPY/ADD (exec or shell form), or null when unreadable. */
export function copyOperands(ins: ParsedInstruction): { sources: string[]; dest: string } | null {
  const a = ins.args.trim();
  let parts: string[];
  if (a.startsWith('[')) {
    try { const arr: unknown = JSON.parse(a); if (!Array.isArray(arr)) return null; parts = arr.map(String); } catch { return null; }
  } else parts = words(a);
  if (ins.heredocs.length > 0) parts = parts.filter((p) => !p.startsWith('<<'));
  if (parts.length < 1) return null;
  if (parts.length === 1) return ins.heredocs.length > 0 ? { sources: [], dest: parts[0]! } : null;
  return { sources: parts.slice(0, -1), dest: parts[parts.length - 1]! };
}

/** The argv of a CMD/ENTRYPOINT: exec form as given, shell form wrapped by `/bin/sh -c`. */
export function execArgv(ins: ParsedInstruction): { exec: boolean; argv: string[] } {
  const a = ins.args.trim();
  if (a.startsWith('[')) {
    try { const arr: unknown = JSON.parse(a); if (Array.isArray(arr)) return { exec: true, argv: arr.map(String) }; } catch { /* shell form */ }
  }
  return { exec: false, argv: words(a) };
}
