// Which package-manager caches a RUN leaves in its layer. Unlike the cache-mount rewrite
// (refactor/mounts.ts), this also counts caches that land in a non-root user's home: they are
// in the image just the same (hadolint DL3042 and DL3060 flag them too).
import type { ParsedInstruction } from '../dockerfile/parse';
import { commandWords, installedPackages, nodeInstall, pipInstall, runSegments } from '../knowledge/shell';
import { cacheTargets } from '../refactor/mounts';
import { isRootUser } from '../refactor/user';

export type CacheTool = 'pip' | 'apt' | 'apk' | 'npm' | 'yarn' | 'pnpm' | 'poetry' | 'bun' | 'bundler' | 'go' | 'cargo' | 'maven';

export interface LeftCache {
  tool: CacheTool;
  /** Where it lands (for the message); `~` is the home of `user`. */
  where: string;
  /** Whether the cache is in the user's home (so a root-owned cache mount would not be used). */
  inHome: boolean;
}

const prog = (argv: string[]): string => argv[0]?.replace(/^.*\//, '') ?? '';

/** Every `rm` operand of the RUN (paths as written). */
function removed(segs: string[]): string[] {
  const out: string[] = [];
  for (const s of segs) {
    const { argv } = commandWords(s);
    if (prog(argv) === 'rm') out.push(...argv.slice(1).filter((a) => !a.startsWith('-')));
  }
  return out;
}

/** The caches one RUN leaves behind, given the variables and the USER in effect. */
export function leftCaches(ins: ParsedInstruction, vars: Map<string, string>, user: string | null): LeftCache[] {
  if (ins.keyword !== 'RUN') return [];
  const segs = runSegments(ins);
  const rm = removed(segs);
  const rmMatches = (re: RegExp): boolean => rm.some((p) => re.test(p));
  const mounted = cacheTargets(ins);
  const isMounted = (...targets: string[]): boolean => mounted.some((m) => targets.some((t) => t === m || t.startsWith(m + '/') || m.startsWith(t + '/')));
  const root = isRootUser(user);
  const home = root ? '/root' : '~';
  const out: LeftCache[] = [];
  const add = (tool: CacheTool, where: string, inHome: boolean): void => { if (!out.some((c) => c.tool === tool)) out.push({ tool, where, inHome }); };
  const hasSeg = (pred: (argv: string[]) => boolean): boolean => segs.some((s) => pred(commandWords(s).argv));
  const envOf = (s: string): Record<string, string> => commandWords(s).env;

  for (const seg of segs) {
    const { argv } = commandWords(seg);
    const p = prog(argv);
    const pip = pipInstall(seg);
    // `--no-cache` is pip's accepted abbreviation of `--no-cache-dir`.
    if (pip && !pip.some((a) => a === '--no-cache-dir' || a === '--no-cache' || a.startsWith('--no-cache-dir='))
      && !vars.has('PIP_NO_CACHE_DIR') && envOf(seg).PIP_NO_CACHE_DIR === undefined
      && !hasSeg((a) => /^pip\d?(\.\d+)?$/.test(prog(a)) && a[1] === 'cache' && a[2] === 'purge')
      && !rmMatches(/(^|\/)\.cache(\/pip)?\/?\*?$/) && !isMounted('/root/.cache/pip')) {
      add('pip', `${home}/.cache/pip`, true);
    }
    const pk = installedPackages(seg);
    const aptVerb = (p === 'apt-get' || p === 'apt') && (argv[1] === 'update' || (pk?.manager === 'apt' && pk.packages.length > 0));
    if (aptVerb && !rmMatches(/^\/var\/lib\/apt\/lists(\/\*?)?$|^\/var\/lib\/apt\/?$/)
      && !hasSeg((a) => (prog(a) === 'apt-get' || prog(a) === 'apt') && a.includes('dist-clean'))
      && !isMounted('/var/lib/apt/lists')) {
      add('apt', '/var/lib/apt/lists', false);
    }
    if (pk?.manager === 'apk' && !pk.options.includes('--no-cache') && !pk.options.includes('--no-network') && !rmMatches(/^\/var\/cache\/apk(\/\*?)?$/) && !isMounted('/var/cache/apk', '/etc/apk/cache')) {
      add('apk', '/var/cache/apk', false);
    }
    const probe = argv.slice(1).some((a) => ['--version', '-v', '-V', '--help', '-h'].includes(a));
    const ni = probe ? null : nodeInstall(seg);
    const npmGlobal = p === 'npm' && ['install', 'i', 'add'].includes(argv[1] ?? '') && argv.some((a) => a === '-g' || a === '--global');
    if ((ni?.manager === 'npm' || npmGlobal) && !hasSeg((a) => prog(a) === 'npm' && a[1] === 'cache' && (a[2] === 'clean' || a[2] === 'clear'))
      && !rmMatches(/(^|\/)\.npm\/?\*?$/) && !isMounted('/root/.npm') && !argv.some((a) => a.startsWith('--cache=/tmp'))) {
      add('npm', `${home}/.npm`, true);
    }
    const yarnGlobal = p === 'yarn' && argv[1] === 'global' && argv[2] === 'add';
    const yarnAdd = p === 'yarn' && argv[1] === 'add';
    if ((ni?.manager === 'yarn' || yarnGlobal || yarnAdd) && !hasSeg((a) => prog(a) === 'yarn' && a[1] === 'cache' && a[2] === 'clean')
      && !rmMatches(/(^|\/)(\.cache\/yarn|\.yarn-cache|yarn-cache|\.cache)\/?\*?$/) && !isMounted('/usr/local/share/.cache/yarn', '/root/.cache/yarn')
      && !argv.some((a) => a === '--cache-folder' || a.startsWith('--cache-folder='))) {
      add('yarn', root ? '/usr/local/share/.cache/yarn' : '~/.cache/yarn', true);
    }
    if (ni?.manager === 'pnpm' && !hasSeg((a) => prog(a) === 'pnpm' && a[1] === 'store' && a[2] === 'prune') && !rmMatches(/pnpm(\/store)?\/?\*?$/) && !mounted.some((m) => /pnpm/.test(m))) {
      add('pnpm', `${home}/.local/share/pnpm/store`, true);
    }
    if (p === 'poetry' && (argv[1] === 'install' || argv[1] === 'add') && !argv.includes('--no-cache') && !vars.has('POETRY_NO_CACHE')
      && !hasSeg((a) => prog(a) === 'poetry' && a[1] === 'cache' && a[2] === 'clear') && !rmMatches(/pypoetry(\/cache)?\/?\*?$|(^|\/)\.cache\/?\*?$/)
      && !mounted.some((m) => /pypoetry|\.cache$/.test(m)) && !(vars.get('POETRY_CACHE_DIR') && rm.some((r) => r.startsWith(vars.get('POETRY_CACHE_DIR')!)))) {
      add('poetry', vars.get('POETRY_CACHE_DIR') ?? `${home}/.cache/pypoetry`, true);
    }
    if (p === 'bun' && (argv[1] === 'install' || argv[1] === 'i' || argv[1] === 'add') && !argv.includes('--no-cache')
      && !rmMatches(/\.bun(\/install(\/cache)?)?\/?\*?$/) && !mounted.some((m) => /\.bun/.test(m))) {
      add('bun', `${home}/.bun/install/cache`, true);
    }
    if (p === 'bundle' && (argv[1] ?? 'install') === 'install' && !argv.includes('--no-cache')
      && !rmMatches(/(^|\/)cache(\/\*\.gem|\/\*)?$|\.bundle\/cache/) && !hasSeg((a) => prog(a) === 'bundle' && a[1] === 'clean')) {
      add('bundler', `${vars.get('GEM_HOME') ?? vars.get('BUNDLE_PATH') ?? '$GEM_HOME'}/cache`, false);
    }
    if (p === 'go' && ['build', 'install', 'test', 'generate', 'vet'].includes(argv[1] ?? '') && !hasSeg((a) => prog(a) === 'go' && a[1] === 'clean')
      && !isMounted('/root/.cache/go-build') && !mounted.some((m) => /go-build/.test(m)) && !rmMatches(/go-build|\.cache\/?\*?$/)) {
      add('go', `${home}/.cache/go-build`, true);
    }
    if (p === 'cargo' && ['build', 'install', 'fetch'].includes(argv[1] ?? '') && !mounted.some((m) => /cargo/.test(m)) && !rmMatches(/cargo\/(registry|git)/)) {
      add('cargo', '$CARGO_HOME/registry', false);
    }
    if ((p === 'mvn' || p === 'mvnw' || p === './mvnw') && argv.length > 1 && !mounted.some((m) => /\.m2/.test(m)) && !rmMatches(/\.m2/)) {
      add('maven', `${home}/.m2`, true);
    }
  }
  return out;
}
