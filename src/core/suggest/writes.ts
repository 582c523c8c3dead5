// What a layer writes, as far as the instruction says: the files a COPY/ADD brings, the
// packages a RUN installs, the paths a RUN downloads, clones or unpacks into — minus what the
// same RUN removes again. deleted-later compares a later removal (rm, apk del, chown -R) with
// these writes, never with paths an earlier command merely mentions.
import type { ParsedInstruction } from '../dockerfile/parse';
import { commandWords, copyOperands, installedPackages, joinPath, nodeInstall, normalizePath, runSegments } from '../knowledge/shell';
import { resolveVars } from './vars';

export interface LayerWrites {
  ins: ParsedInstruction;
  /** Absolute paths (files or trees) the layer writes. */
  paths: string[];
  /** `COPY . <dir>`: everything in the build context lands under this directory. */
  contextDir: string | null;
  /** Packages the layer installs, by manager. */
  packages: { manager: 'apt' | 'apk' | 'yum' | 'pip'; name: string }[];
  /** Whether the layer came from COPY/ADD (a later chown -R duplicates it). */
  copied: boolean;
}

const prog = (argv: string[]): string => argv[0]?.replace(/^.*\//, '') ?? '';
const TRIVIAL = new Set(['rm', 'cd', 'ls', 'echo', 'true', 'set', 'mkdir', 'chmod', 'chown', 'export', ':', 'printf', 'test', '[']);

/** Paths under `p` (or `p` itself) count as inside `tree`. */
export const within = (p: string, tree: string): boolean => p === tree || p.startsWith(tree === '/' ? '/' : tree + '/');

function urlBase(u: string): string { return u.replace(/[?#].*$/, '').replace(/\/+$/, '').replace(/^.*\//, '').replace(/\.git$/, ''); }

/** What one instruction writes, given the WORKDIR and variables in effect before it. */
export function layerWrites(ins: ParsedInstruction, wd: string, vars: Map<string, string>): LayerWrites | null {
  const abs = (p: string): string => normalizePath(joinPath(wd, resolveVars(p, vars)));
  if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
    const ops = copyOperands(ins);
    if (!ops) return null;
    const dest = abs(ops.dest);
    const intoDir = ops.dest.endsWith('/') || ops.sources.length > 1 || ops.dest === '.';
    const fromContext = !ins.flags.some((f) => f.name === 'from');
    const whole = fromContext && ops.sources.some((s) => ['.', './', '*', './*'].includes(s));
    const paths = intoDir ? ops.sources.filter((s) => !['.', './', '*', './*'].includes(s)).map((s) => normalizePath(joinPath(dest, s.replace(/\/+$/, '').replace(/^.*\//, '')))) : [dest];
    if (whole || ops.sources.some((s) => s.endsWith('/') || !/\.[\w]+$/.test(s))) paths.push(dest); // directories copy their contents into dest
    return { ins, paths: [...new Set(paths)], contextDir: whole ? dest : null, packages: [], copied: true };
  }
  if (ins.keyword !== 'RUN') return null;
  const paths: string[] = [];
  const packages: LayerWrites['packages'] = [];
  let cwd = wd;
  for (const seg of runSegments(ins)) {
    const { argv } = commandWords(seg);
    const p = prog(argv);
    const here = (x: string): string => normalizePath(joinPath(cwd, resolveVars(x, vars)));
    if (p === 'cd' && argv[1]) { cwd = here(argv[1]); continue; }
    if (p === 'rm') {
      const gone = argv.slice(1).filter((a) => !a.startsWith('-')).map(here);
      for (let i = paths.length - 1; i >= 0; i--) if (gone.some((g) => within(paths[i]!, g))) paths.splice(i, 1);
      continue;
    }
    const pk = installedPackages(seg);
    if (pk) for (const name of pk.packages) packages.push({ manager: pk.manager, name });
    const del = (p === 'apk' && argv[1] === 'del') || ((p === 'apt-get' || p === 'apt') && ['purge', 'remove', 'autoremove'].includes(argv[1] ?? ''));
    if (del) {
      const names = new Set(argv.slice(2).filter((a) => !a.startsWith('-')));
      for (let i = packages.length - 1; i >= 0; i--) if (names.has(packages[i]!.name)) packages.splice(i, 1);
    }
    if ((p === 'apt-get' || p === 'apt') && argv[1] === 'update') paths.push('/var/lib/apt/lists');
    if ((p === 'apt-get' || p === 'apt') && argv.includes('dist-clean')) { for (let i = paths.length - 1; i >= 0; i--) if (within(paths[i]!, '/var/lib/apt/lists')) paths.splice(i, 1); }
    if (p === 'git' && argv[1] === 'clone') {
      const rest = argv.slice(2).filter((a, i, arr) => !a.startsWith('-') && !(['-b', '--branch', '--depth', '-c', '--config', '--origin', '-o'].includes(arr[i - 1] ?? '')));
      if (rest[0]) paths.push(here(rest[1] ?? urlBase(rest[0])));
    }
    if (p === 'curl' || p === 'wget') {
      for (let i = 1; i < argv.length; i++) {
        if ((argv[i] === '-o' || argv[i] === '-O' || argv[i] === '--output' || argv[i] === '--output-document') && argv[i + 1] && !argv[i + 1]!.startsWith('-') && argv[i + 1] !== '-') {
          if (p === 'wget' || argv[i] !== '-O') { paths.push(here(argv[i + 1]!)); i++; }
        }
      }
    }
    if ((p === 'tar' && argv.some((a) => /^-?[a-zA-Z]*x/.test(a))) || p === 'unzip') {
      const at = argv.findIndex((a) => a === '-C' || a === '--directory' || a === '-d');
      paths.push(at >= 0 && argv[at + 1] ? here(argv[at + 1]!) : cwd);
    }
    const pip = /^pip\d?(\.\d+)?$/.test(p) && argv[1] === 'install';
    if (pip) for (const a of argv.slice(2)) if (!a.startsWith('-') && /^[A-Za-z][\w.-]*([<>=!~].*)?$/.test(a)) packages.push({ manager: 'pip', name: a.replace(/[<>=!~\[].*$/, '').toLowerCase() });
    if (nodeInstall(seg)) paths.push(normalizePath(joinPath(cwd, 'node_modules')));
  }
  return { ins, paths: [...new Set(paths)], contextDir: null, packages, copied: false };
}

/** Whether the segments of a RUN before index `k` only move around or clean up (no build step that could have created files). */
export function onlyTrivialBefore(ins: ParsedInstruction, k: number): boolean {
  return runSegments(ins).slice(0, k).every((s) => TRIVIAL.has(prog(commandWords(s).argv)));
}
