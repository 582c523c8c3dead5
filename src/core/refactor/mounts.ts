// BuildKit cache mounts (and their non-BuildKit fallback): package-manager caches belong in a
// cache that survives between builds, not in an image layer.
import { mountOptionsOf, parseDockerfile, type ParsedDockerfile, type ParsedInstruction } from '../dockerfile/parse';
import { commandWords, installedPackages, nodeInstall, normalizePath, pipInstall, runCommand, runSegments } from '../knowledge/shell';
import { eolOf, type TextEdit } from './edits';

export interface CacheNeed {
  /** Mount target, e.g. `/root/.cache/pip`. */
  target: string;
  /** Extra mount options, e.g. `sharing=locked`. */
  options?: string;
  /** The tool whose cache it is (for messages). */
  tool: 'pip' | 'apt' | 'apk' | 'npm' | 'yarn' | 'pnpm' | 'go' | 'cargo' | 'maven';
  /** Whether the cache lives in root's home (useless when the RUN runs as another user). */
  home: boolean;
}

/** Existing cache-mount targets of a RUN. */
export function cacheTargets(ins: ParsedInstruction): string[] {
  const out: string[] = [];
  for (const m of mountOptionsOf(ins)) {
    if ((m.type ?? 'bind') === 'cache' && (m.target ?? m.dst ?? m.destination)) out.push(normalizePath(m.target ?? m.dst ?? m.destination!));
  }
  return out;
}

const isRootUser = (u: string | null): boolean => u === null || /^(root|0)(:(root|0))?$/.test(u.trim());

/**
 * The caches a RUN fills, ignoring ones already mounted or already disabled
 * (`--no-cache-dir`, `apk --no-cache`, apt lists removed in the same RUN).
 */
export function cacheNeeds(ins: ParsedInstruction, stageEnv: Map<string, string>, user: string | null): CacheNeed[] {
  if (ins.keyword !== 'RUN') return [];
  const cmd = runCommand(ins);
  const segs = runSegments(ins);
  const have = new Set(cacheTargets(ins));
  const needs: CacheNeed[] = [];
  const add = (n: CacheNeed): void => {
    if (n.home && !isRootUser(user)) return;
    if (have.has(n.target) || [...have].some((h) => n.target.startsWith(h + '/')) || needs.some((x) => x.target === n.target)) return;
    needs.push(n);
  };
  const removesAptLists = /rm\s+(-\w+\s+)*\S*\/var\/lib\/apt\/lists/.test(cmd);
  for (const seg of segs) {
    const pip = pipInstall(seg);
    if (pip && !pip.includes('--no-cache-dir') && !stageEnv.has('PIP_NO_CACHE_DIR') && !commandWords(seg).env.PIP_NO_CACHE_DIR) add({ target: '/root/.cache/pip', tool: 'pip', home: true });
    const { argv } = commandWords(seg);
    const prog = argv[0]?.replace(/^.*\//, '');
    const pk = installedPackages(seg);
    if (((pk && pk.manager === 'apt') || ((prog === 'apt-get' || prog === 'apt') && argv[1] === 'update')) && !removesAptLists) {
      add({ target: '/var/cache/apt', options: 'sharing=locked', tool: 'apt', home: false });
      add({ target: '/var/lib/apt', options: 'sharing=locked', tool: 'apt', home: false });
    }
    if (pk && pk.manager === 'apk' && !pk.options.includes('--no-cache')) add({ target: '/etc/apk/cache', tool: 'apk', home: false });
    const ni = nodeInstall(seg);
    if (ni?.manager === 'npm' && !/npm cache clean/.test(cmd)) add({ target: '/root/.npm', tool: 'npm', home: true });
    // Yarn 1's cache for root in the official node image; other users keep it under ~/.cache.
    if (ni?.manager === 'yarn' && !/yarn cache clean/.test(cmd)) add({ target: '/usr/local/share/.cache/yarn', tool: 'yarn', home: true });
    if (ni?.manager === 'pnpm') add({ target: '/root/.local/share/pnpm/store', tool: 'pnpm', home: true });
    if (prog === 'go' && ['build', 'install', 'test', 'generate', 'vet'].includes(argv[1] ?? '')) {
      add({ target: '/root/.cache/go-build', tool: 'go', home: true });
      add({ target: '/go/pkg/mod', tool: 'go', home: false });
    }
    if (prog === 'go' && argv[1] === 'mod' && argv[2] === 'download') add({ target: '/go/pkg/mod', tool: 'go', home: false });
    if (prog === 'cargo' && ['build', 'install', 'fetch', 'test'].includes(argv[1] ?? '')) {
      add({ target: '/usr/local/cargo/registry', tool: 'cargo', home: false });
      add({ target: '/usr/local/cargo/git', tool: 'cargo', home: false });
    }
    if ((prog === 'mvn' || prog === 'mvnw') && argv.length > 1) add({ target: '/root/.m2', tool: 'maven', home: true });
  }
  return needs;
}

/** Walks every RUN with the ENV names and USER in effect at that point of its stage. */
export function forEachRun(df: ParsedDockerfile, fn: (ins: ParsedInstruction, env: Map<string, string>, user: string | null) => void): void {
  // A stage built FROM another stage inherits its ENV names and USER. Base stages always come
  // earlier, so each stage's result is kept and reused: walking every base chain again was
  // cubic in the stage count (10,000 chained stages hung; reliability suite finding).
  const inherited: { names: string[]; user: string | null }[] = [];
  for (const st of df.stages) {
    const env = new Map<string, string>();
    const base = st.baseStage !== null && st.baseStage < st.index ? inherited[st.baseStage] : undefined;
    let user: string | null = base?.user ?? null;
    for (const k of base?.names ?? []) env.set(k, '');
    for (const ins of st.instructions) {
      if (ins.keyword === 'USER') user = ins.args.trim();
      if (ins.keyword === 'ENV') for (const [k, v] of envPairs(ins)) env.set(k, v);
      if (ins.keyword === 'RUN') fn(ins, env, user);
    }
    inherited[st.index] = { names: [...env.keys()], user };
  }
}

/** `ENV A=1 B="x y"` and legacy `ENV A 1` as pairs. */
export function envPairs(ins: ParsedInstruction): [string, string][] {
  const a = ins.args.trim();
  const legacy = /^([A-Za-z_]\w*)\s+(?![A-Za-z_]\w*=)(.*)$/s.exec(a);
  if (legacy && !a.split(/\s+/)[0]!.includes('=')) return [[legacy[1]!, legacy[2]!.trim()]];
  const out: [string, string][] = [];
  const re = /([A-Za-z_]\w*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(a))) out.push([m[1]!, m[2]!.replace(/^(["'])(.*)\1$/s, '$2')]);
  return out;
}

function mountText(n: CacheNeed): string {
  return `--mount=type=cache,target=${n.target}${n.options ? ',' + n.options : ''}`;
}

/** Where the instruction's keyword ends (flags are inserted right after it). */
function afterKeyword(ins: ParsedInstruction): { line: number; character: number } {
  const kwLen = /^\S+/.exec(ins.text)?.[0].length ?? ins.keyword.length;
  return { line: ins.range.start.line, character: ins.range.start.character + kwLen };
}

/** The edit that adds mounts for `needs` to one RUN (seed style: one `--mount` per continuation line). */
export function mountEditFor(ins: ParsedInstruction, needs: CacheNeed[], eol: string, esc: string): TextEdit {
  const pos = afterKeyword(ins);
  return { range: { start: pos, end: pos }, newText: needs.map((n) => ` ${mountText(n)} ${esc}${eol}   `).join('') };
}

/**
 * Adds BuildKit cache mounts to every RUN that fills a package-manager cache. Needs BuildKit;
 * works without a `# syntax=` line.
 */
export function addCacheMounts(text: string, parsed?: ParsedDockerfile, only?: (ins: ParsedInstruction, need: CacheNeed) => boolean): TextEdit[] {
  const df = parsed ?? parseDockerfile(text);
  const eol = eolOf(text);
  const edits: TextEdit[] = [];
  forEachRun(df, (ins, env, user) => {
    const needs = cacheNeeds(ins, env, user).filter((n) => !only || only(ins, n));
    if (needs.length) edits.push(mountEditFor(ins, needs, eol, df.escapeChar));
  });
  return edits;
}

/** Position of an offset inside an instruction's text. */
export function posIn(ins: ParsedInstruction, offset: number): { line: number; character: number } {
  const before = ins.text.slice(0, offset).split('\n');
  const line = ins.range.start.line + before.length - 1;
  const character = before.length === 1 ? ins.range.start.character + before[0]!.length : before[before.length - 1]!.length;
  return { line, character };
}

/** Edits that keep the given tools' caches out of one RUN's layer without BuildKit. */
export function cleanupEditsFor(ins: ParsedInstruction, tools: Set<CacheNeed['tool']>): TextEdit[] {
  if (ins.heredocs.length > 0 || ins.args.trim().startsWith('[')) return [];
  const edits: TextEdit[] = [];
  const insertAfter = (re: RegExp, what: string): void => {
    const m = re.exec(ins.text);
    if (!m) return;
    const p = posIn(ins, m.index + m[0].length);
    edits.push({ range: { start: p, end: p }, newText: what });
  };
  if (tools.has('pip')) insertAfter(/\bpip[\d.]*\s+install\b/, ' --no-cache-dir');
  if (tools.has('apk')) insertAfter(/\bapk\s+add\b/, ' --no-cache');
  const tail: string[] = [];
  if (tools.has('apt')) tail.push('rm -rf /var/lib/apt/lists/*');
  if (tools.has('npm')) tail.push('npm cache clean --force');
  if (tools.has('yarn')) tail.push('yarn cache clean');
  if (tail.length) edits.push({ range: { start: ins.range.end, end: ins.range.end }, newText: ' && ' + tail.join(' && ') });
  return edits;
}

/**
 * Without BuildKit: keep caches out of layers with the tools' own switches and cleanup in the
 * same RUN (`pip --no-cache-dir`, `apk --no-cache`, apt lists removed, npm/yarn cache cleaned).
 */
export function addCacheCleanup(text: string, parsed?: ParsedDockerfile, only?: (ins: ParsedInstruction, need: CacheNeed) => boolean): TextEdit[] {
  const df = parsed ?? parseDockerfile(text);
  const edits: TextEdit[] = [];
  forEachRun(df, (ins, env, user) => {
    const needs = cacheNeeds(ins, env, user).filter((n) => !only || only(ins, n));
    edits.push(...cleanupEditsFor(ins, new Set(needs.map((n) => n.tool))));
  });
  return edits;
}
