// The multi-stage rewrite: a single-stage Dockerfile becomes a builder (toolchain, dev
// dependencies, caches) and a runtime stage on a slim base that receives only what the
// application needs — the seed's Dockerfile/Dockerfile.advanced, derived from the user's file.
// Anything it cannot place with confidence is kept and explained in `notes`, never guessed.
import { parseDockerfile, type ParsedDockerfile, type ParsedInstruction, type ParsedStage } from '../dockerfile/parse';
import { debianCodename, distroOfImage, imageEnv, isBusyboxFamily, isShellless, nodeMajor, officialName, parseImageRef, slimFor } from '../knowledge/images';
import {
  commandWords, copyOperands, execArgv, installedPackages, joinPath, nodeInstall, nodeInstallIsProduction,
  normalizePath, pipInstall, runCommand, segments, type NodeManager,
} from '../knowledge/shell';
import { applyEdits, eolOf, wholeDocument, type TextEdit } from './edits';
import { addCacheMounts, envPairs } from './mounts';
import { isBuildOrServerPackage, isFetchTool, isServerPackage, pipNativeLibrary, runtimeLibraryFor, slimMissingCommand, type Distro } from '../knowledge/packages';
import { imageKind, unterminatedHeredoc, type ImageKind } from './kind';
import { addNonRootUser, ensureStageUsers } from './user';

export type Ecosystem = 'python' | 'node' | 'go' | 'rust' | 'java' | 'unknown';

export interface RefactorOptions {
  /** Runtime for static Go binaries: distroless/static (default: CA certs, tzdata, nonroot user) or scratch. */
  goRuntime?: 'distroless' | 'scratch';
  /** Name of the non-root user to create (default `appuser`, as in the seed). */
  user?: string;
  /** Add BuildKit cache mounts (default true). */
  cacheMounts?: boolean;
}

export interface RefactorResult {
  text: string;
  /** One whole-document replacement against the input (empty when unchanged). */
  edits: TextEdit[];
  ecosystem: Ecosystem;
  /** What moved where, one line each. */
  summary: string[];
  /** Caveats the user should check. */
  notes: string[];
  changed: boolean;
  /** What kind of image the file makes (decides which rewrites apply). */
  kind: ImageKind;
  /** Set when the input cannot be rewritten safely at all (the CLI exits 2). */
  refused?: string;
}

export const VENV = '/opt/venv';
const USER_NOTE = 'The container now runs as an unprivileged user: paths the app writes at runtime (data, logs, caches) must be writable by it.';
// Tagged so the rewrite passes its own untagged-base rule; :nonroot defaults to uid 65532, and the
// rewrite still writes USER out so the intent is visible.
const DISTROLESS_STATIC = 'gcr.io/distroless/static-debian12:nonroot';

// ---------------------------------------------------------------------------------------------
// Ecosystem detection

const hasSeg = (st: ParsedStage, pred: (seg: string) => boolean): boolean =>
  st.instructions.some((i) => i.keyword === 'RUN' && segments(runCommand(i)).some(pred));
const prog = (seg: string): string => commandWords(seg).argv[0]?.replace(/^.*\//, '') ?? '';
const sub = (seg: string): string => commandWords(seg).argv[1] ?? '';

export function detectEcosystem(df: ParsedDockerfile): Ecosystem {
  const st = df.stages[df.stages.length - 1];
  if (!st) return 'unknown';
  const family = officialName(df.stages[0]!.resolvedBaseImage) ?? '';
  if (family === 'golang') return 'go';
  if (family === 'rust') return 'rust';
  if (['maven', 'gradle', 'eclipse-temurin', 'openjdk', 'amazoncorretto'].includes(family)) return 'java';
  if (family === 'node') return 'node';
  if (family === 'python') return 'python';
  if (hasSeg(st, (s) => prog(s) === 'go' && sub(s) === 'build')) return 'go';
  if (hasSeg(st, (s) => prog(s) === 'cargo' && (sub(s) === 'build' || sub(s) === 'install'))) return 'rust';
  if (hasSeg(st, (s) => ['mvn', 'mvnw', 'gradle', 'gradlew'].includes(prog(s)))) return 'java';
  if (hasSeg(st, (s) => nodeInstall(s) !== null)) return 'node';
  if (hasSeg(st, (s) => pipInstall(s) !== null)) return 'python';
  return 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Source helpers

interface Item { ins: ParsedInstruction; comments: string[] }

/** Comment lines directly attached above each instruction (parser directives excluded). */
function attachComments(df: ParsedDockerfile): { items: Item[]; header: string[]; trailer: string[] } {
  const lines = df.text.split(/\r\n|\r|\n/);
  const items: Item[] = [];
  let prevEnd = 0; // 0-based line after the previous instruction
  const header: string[] = [];
  let directivesDone = false;
  for (const ins of df.instructions) {
    const comments: string[] = [];
    for (let l = prevEnd; l < ins.range.start.line; l++) {
      const t = lines[l] ?? '';
      if (!/^\s*#/.test(t)) { if (t.trim() !== '') directivesDone = true; continue; }
      if (!directivesDone && items.length === 0 && /^\s*#\s*(syntax|escape|check)\s*=/i.test(t)) { header.push(t.trim()); continue; }
      directivesDone = true;
      comments.push(t.replace(/\s+$/, ''));
    }
    directivesDone = true;
    items.push({ ins, comments });
    prevEnd = ins.range.end.line + 1;
  }
  const trailer: string[] = [];
  for (let l = prevEnd; l < lines.length; l++) if (/^\s*#/.test(lines[l] ?? '')) trailer.push(lines[l]!.replace(/\s+$/, ''));
  return { items, header, trailer };
}

/** WORKDIR in effect before each instruction of a stage (absolute; `/` when unset). */
function workdirs(st: ParsedStage): string[] {
  let wd = '/';
  const out: string[] = [];
  for (const ins of st.instructions) {
    out.push(wd);
    if (ins.keyword === 'WORKDIR') wd = joinPath(wd, ins.args.trim().replace(/^["']|["']$/g, ''));
  }
  out.push(wd);
  return out;
}

const MANIFEST = /^(requirements[\w.-]*\.(txt|in)|constraints[\w.-]*\.txt|pyproject\.toml|setup\.(py|cfg)|poetry\.lock|Pipfile(\.lock)?|uv\.lock|package(-lock)?\.json|npm-shrinkwrap\.json|yarn\.lock|\.yarnrc(\.yml)?|\.npmrc|pnpm-lock\.yaml|pnpm-workspace\.yaml|go\.(mod|sum)|Cargo\.(toml|lock)|pom\.xml|build\.gradle(\.kts)?|settings\.gradle(\.kts)?|gradle\.properties)$/;
// `crates/` holds a Rust workspace's path dependencies; `*.go`-style globs name sources too.
const COMPILED_SOURCE = /^(\.|\.\/|\*|src|cmd|pkg|internal|vendor|crates|gradle|\.mvn|mvnw|gradlew|[\w.*-]+\.(go|rs|java|kt|c|cc|cpp|h))\/?$/;

const base = (p: string): string => p.replace(/\/+$/, '').replace(/^.*\//, '');
const isManifestCopy = (ins: ParsedInstruction): boolean => {
  const ops = copyOperands(ins);
  return !!ops && ops.sources.length > 0 && ops.sources.every((s) => MANIFEST.test(base(s)) || /^requirements[\w*.-]*$/.test(base(s)));
};
/** Local sources pip builds from (vendored packages, wheelhouses): needed by the builder only. */
const isPythonBuildInput = (ins: ParsedInstruction): boolean => {
  const ops = copyOperands(ins);
  return !!ops && ops.sources.length > 0 && ops.sources.every((s) => /^(vendor|wheels|wheelhouse|dist|third_party)$/.test(base(s)) || /\.whl$/.test(s));
};
const copiesFromStage = (ins: ParsedInstruction): boolean => ins.flags.some((f) => f.name === 'from');

const isDevRequirement = (file: string): boolean => /(^|[-_.])(dev|devel|test|tests|testing|lint|docs|ci)([-_.]|$)/i.test(base(file));
const DEV_TOOLS = new Set(['pytest', 'black', 'flake8', 'mypy', 'ruff', 'pylint', 'isort', 'tox', 'nox', 'coverage', 'pytest-cov', 'pytest-asyncio', 'ipython', 'ipdb', 'pre-commit', 'bandit', 'hypothesis', 'debugpy', 'autopep8', 'yapf']);
const pkgName = (spec: string): string => spec.toLowerCase().replace(/\[.*$/, '').replace(/[<>=!~;].*$/, '');

/** Splits pip arguments into what the runtime needs and what only development needs. */
export function splitPipArgs(args: string[]): { common: string[]; runtime: string[]; dev: string[] } {
  const common: string[] = []; const runtime: string[] = []; const dev: string[] = [];
  const valued = new Set(['-r', '--requirement', '-c', '--constraint', '-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--trusted-host', '-e', '--editable']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-r' || a === '--requirement') { const f = args[++i] ?? ''; (isDevRequirement(f) ? dev : runtime).push(a, f); continue; }
    const eq = /^(--requirement)=(.*)$/.exec(a);
    if (eq) { (isDevRequirement(eq[2]!) ? dev : runtime).push(a); continue; }
    if (a === '-e' || a === '--editable') { const v = args[++i] ?? ''; (/\[.*\b(dev|test)\b.*\]/.test(v) ? dev : runtime).push(a, v); continue; }
    if (a.startsWith('-')) { common.push(a); if (valued.has(a) && i + 1 < args.length) common.push(args[++i]!); continue; }
    (DEV_TOOLS.has(pkgName(a)) || /\[.*\b(dev|test)\b.*\]/.test(a) ? dev : runtime).push(a);
  }
  return { common, runtime, dev };
}

const quoteWord = (w: string): string => (/^[\w@%+=:,./[\]<>!~*-]+$/.test(w) && !/[<>]/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
const joinWords = (w: string[]): string => w.map(quoteWord).join(' ');

/** Resolves the FROM text for the runtime, keeping `${ARG}` references when the slim tag is a suffix. */
function runtimeFrom(st: ParsedStage, image: string): string {
  if (st.baseImage === st.resolvedBaseImage || !image.startsWith(st.resolvedBaseImage)) return image;
  return st.baseImage + image.slice(st.resolvedBaseImage.length);
}

function fromLine(st: ParsedStage, image: string, name: string): string {
  const platform = st.from.flags.find((f) => f.name === 'platform');
  return `FROM ${platform ? `--platform=${platform.value} ` : ''}${image} AS ${name}`;
}

// ---------------------------------------------------------------------------------------------
// Plans

const RUNTIME_ONLY = new Set(['LABEL', 'EXPOSE', 'VOLUME', 'HEALTHCHECK', 'STOPSIGNAL', 'CMD', 'ENTRYPOINT', 'ONBUILD', 'MAINTAINER']);
const BOTH = new Set(['ARG', 'ENV', 'WORKDIR', 'SHELL']);

interface Block { lines: string[]; comments: string[] }
const blockOf = (it: Item): Block => ({ lines: [it.ins.text], comments: it.comments });
const gen = (...lines: string[]): Block => ({ lines, comments: [] });

interface Plan {
  builder: Block[];
  test?: Block[];
  runtime: Block[];
  runtimeImage: string;
  summary: string[];
  notes: string[];
}
type PlanResult = Plan | { fail: string };

interface Ctx {
  df: ParsedDockerfile;
  st: ParsedStage;
  items: Item[];
  wd: string[];
  opts: RefactorOptions;
  eco: Ecosystem;
}

const isInstallSeg = (seg: string): boolean => {
  const p = prog(seg);
  return installedPackages(seg) !== null || pipInstall(seg) !== null || nodeInstall(seg) !== null
    || ((p === 'apt-get' || p === 'apt' || p === 'apk') && ['update', 'upgrade', 'clean', 'autoremove'].includes(sub(seg)))
    || /^(python[\d.]*\s+-m\s+venv|virtualenv)\b/.test(commandWords(seg).argv.join(' '));
};

const isBuildSeg = (seg: string, eco: Ecosystem): boolean => {
  const p = prog(seg);
  if (['make', 'cmake', 'gcc', 'g++', 'cc', 'javac', 'tsc'].includes(p)) return true;
  if (p === 'go' || p === 'cargo' || p === 'rustup' || ['mvn', 'mvnw', 'gradle', 'gradlew'].includes(p)) return true;
  if ((p === 'npm' || p === 'yarn' || p === 'pnpm' || p === 'npx') && eco === 'node') return true;
  return false;
};

/** Runtime packages of an install RUN, and whether it installed build-only ones. */
function runtimePackages(ins: ParsedInstruction): { manager: 'apt' | 'apk' | null; runtime: string[]; build: string[] } {
  const runtime: string[] = []; const build: string[] = [];
  let manager: 'apt' | 'apk' | null = null;
  for (const seg of segments(runCommand(ins))) {
    const pk = installedPackages(seg);
    if (!pk || pk.manager === 'yum') continue;
    manager = pk.manager;
    for (const p of pk.packages) (isBuildOrServerPackage(p) || isFetchTool(p) ? build : runtime).push(p);
  }
  return { manager, runtime, build };
}

function runtimeInstallLine(manager: 'apt' | 'apk', pkgs: string[], runtimeImage: string): string | null {
  if (pkgs.length === 0 || isShellless(runtimeImage)) return null;
  if (manager === 'apk' || isBusyboxFamily(runtimeImage)) return `RUN apk add --no-cache ${pkgs.join(' ')}`;
  return `RUN apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(' ')} && rm -rf /var/lib/apt/lists/*`;
}

/** The distribution the runtime stage installs packages on. */
function runtimeDistro(runtimeImage: string, manager: 'apt' | 'apk', originalBase: string): Distro {
  return distroOfImage(runtimeImage) ?? distroOfImage(originalBase)
    ?? (manager === 'apk' ? { family: 'alpine', release: null } : { family: 'debian', release: debianCodename(parseImageRef(originalBase).tag) });
}

/** Programs the runtime stage runs itself: its RUNs, HEALTHCHECK and shell-form CMD/ENTRYPOINT. */
function runtimeCommands(blocks: Block[]): string[] {
  const out: string[] = [];
  for (const b of blocks) {
    const text = b.lines.join('\n');
    const m = /^(RUN|HEALTHCHECK|CMD|ENTRYPOINT)\b\s*(.*)$/is.exec(text);
    if (!m) continue;
    let body = m[2]!.replace(/\\\r?\n/g, ' ');
    if (m[1]!.toUpperCase() === 'RUN') body = body.replace(/^(--\S+\s+)*/, '');
    if (m[1]!.toUpperCase() === 'HEALTHCHECK') { body = body.replace(/^(--\S+\s+)*/, ''); if (!/^CMD\b/i.test(body)) continue; body = body.replace(/^CMD\s+/i, ''); }
    if (body.trim().startsWith('[')) { try { const a: unknown = JSON.parse(body); if (Array.isArray(a)) body = a.map(String).join(' '); } catch { /* shell form */ } }
    for (const seg of segments(body)) { const p = commandWords(seg).argv[0]; if (p) out.push(p); }
  }
  return out;
}

/**
 * The runtime stage's package line: what the original installed for running, the runtime
 * libraries of the `-dev` packages the builder keeps (libpq-dev → libpq5), and the tools the
 * runtime's own commands use that a slim base lacks (a HEALTHCHECK with curl).
 */
function runtimeSetup(c: Ctx, p: { runtime: string[]; build: string[]; manager: 'apt' | 'apk'; image: string; blocks: Block[]; extra?: string[] }, summary: string[], notes: string[]): Block | null {
  const distro = runtimeDistro(p.image, p.manager, c.st.resolvedBaseImage);
  const libs: string[] = [];
  for (const b of p.build) {
    const lib = runtimeLibraryFor(b, distro);
    if (lib && !libs.includes(lib)) libs.push(lib);
    if (isServerPackage(b)) notes.push(`${b} is a database server; the runtime gets only its client library${lib ? ` (${lib})` : ''}.`);
  }
  const tools: string[] = [];
  const slimmed = p.image !== c.st.baseImage && p.image !== c.st.resolvedBaseImage;
  if (slimmed) {
    for (const cmd of runtimeCommands(p.blocks)) {
      const pk = slimMissingCommand(cmd, distro.family);
      if (pk === 'build') notes.push(`the runtime stage runs \`${cmd}\`, a build tool ${p.image} does not have; move that step into the builder.`);
      else if (pk && !p.runtime.includes(pk) && !tools.includes(pk)) tools.push(pk);
    }
  }
  const all = [...new Set([...p.runtime, ...libs, ...(p.extra ?? []), ...tools])];
  if (libs.length) summary.push(`runtime libraries for the builder's headers installed in the runtime stage: ${libs.join(', ')}.`);
  if (tools.length) summary.push(`${tools.join(', ')} installed in the runtime stage: its own commands use ${tools.length > 1 ? 'them' : 'it'} and ${p.image} does not ship ${tools.length > 1 ? 'them' : 'it'}.`);
  const line = runtimeInstallLine(distro.family === 'alpine' ? 'apk' : p.manager, all, p.image);
  if (!line && all.length && isShellless(p.image)) notes.push(`${p.image} has no package manager: ${all.join(', ')} cannot be installed there.`);
  return line ? { lines: [line], comments: ['# Runtime system packages only; build tools stay in the builder.'] } : null;
}

/** Official-image ENV the runtime base does not set (`GOPATH=/go`), to be written out there. */
function lostEnv(c: Ctx, runtimeImage: string): Record<string, string> {
  const from = imageEnv(c.st.resolvedBaseImage);
  const to = imageEnv(runtimeImage);
  const out: Record<string, string> = {};
  const own = new Set(c.st.instructions.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG').flatMap((i) => (i.keyword === 'ENV' ? envPairs(i).map(([k]) => k) : [i.args.trim().split('=')[0]!])));
  for (const [k, v] of Object.entries(from)) if (!(k in to) && !own.has(k)) out[k] = v;
  return out;
}

/** `$GOPATH/bin` → `/go/bin` for the variables in `env`; other variables stay as written. */
function resolveVars(text: string, env: Record<string, string>): string {
  return text.replace(/\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/g, (m, a: string | undefined, b: string | undefined) => {
    const k = (a ?? b)!;
    return Object.hasOwn(env, k) ? env[k]! : m;
  });
}

function resolveBlocks(blocks: Block[], env: Record<string, string>): void {
  if (Object.keys(env).length === 0) return;
  for (const b of blocks) b.lines = b.lines.map((l) => resolveVars(l, env));
}

/** The executable (or jar) the image runs, as an absolute path in the builder. */
function findArtifact(c: Ctx): { path: string; dest: string } | { fail: string } {
  const ins = [...c.st.instructions].reverse();
  const entry = ins.find((i) => i.keyword === 'ENTRYPOINT') ?? ins.find((i) => i.keyword === 'CMD');
  if (!entry) return { fail: 'no CMD or ENTRYPOINT names what the image runs' };
  const idx = c.st.instructions.indexOf(entry);
  const wd = c.wd[idx]!;
  const { argv } = execArgv(entry);
  let target: string | undefined;
  if (c.eco === 'java') target = argv.find((a) => /\.jar$/.test(a));
  else target = argv[0];
  // `$GOPATH/bin/app`: resolve in the builder, where the variable exists.
  if (target) target = resolveVars(target, builderEnv(c, idx));
  if (!target) return { fail: c.eco === 'java' ? 'CMD/ENTRYPOINT names no .jar file' : 'CMD/ENTRYPOINT is empty' };
  if (/[*?$[\]{}]/.test(target) || ['sh', '/bin/sh', 'bash', '/bin/bash'].includes(target)) return { fail: `cannot tell which file "${target}" is` };
  if (target.includes('/')) { const p = joinPath(wd, target); return { path: p, dest: p }; }
  // A bare name runs from PATH: find where the build put it.
  for (let k = c.st.instructions.length - 1; k >= 0; k--) {
    const r = c.st.instructions[k]!;
    if (r.keyword !== 'RUN') continue;
    for (const seg of segments(runCommand(r))) {
      const { argv: a } = commandWords(seg);
      const o = a.indexOf('-o');
      if (o >= 0 && a[o + 1] && base(a[o + 1]!) === target) { const p = joinPath(c.wd[k]!, a[o + 1]!); return { path: p, dest: onPath(p) ? p : `/usr/local/bin/${target}` }; }
      if (a[0] === 'go' && a[1] === 'install') return { path: `/go/bin/${target}`, dest: `/usr/local/bin/${target}` };
      if (a[0] === 'cargo' && a[1] === 'install') return { path: `/usr/local/cargo/bin/${target}`, dest: `/usr/local/bin/${target}` };
      const hit = a.find((w) => w.includes('/') && base(w) === target);
      if (hit && (a[0] === 'cp' || a[0] === 'mv' || a[0] === 'install')) { const p = joinPath(c.wd[k]!, hit); return { path: p, dest: onPath(p) ? p : `/usr/local/bin/${target}` }; }
    }
  }
  return { fail: `cannot find where the build puts "${target}"` };
}
/** ENV in effect before instruction `idx` of the stage: the base image's known ENV, then the file's. */
function builderEnv(c: Ctx, idx: number): Record<string, string> {
  const env: Record<string, string> = { ...imageEnv(c.st.resolvedBaseImage) };
  for (const ins of c.st.instructions.slice(0, idx)) if (ins.keyword === 'ENV') for (const [k, v] of envPairs(ins)) env[k] = resolveVars(v, env);
  return env;
}

const onPath = (p: string): boolean => /^\/(usr\/local\/|usr\/)?s?bin\/[^/]+$/.test(p);

function planPython(c: Ctx): PlanResult {
  const { st, items } = c;
  const slim = slimFor(st.resolvedBaseImage);
  const runtimeImage = slim?.kind === 'variant' ? runtimeFrom(st, slim.image) : st.baseImage;
  const builder: Block[] = []; const runtime: Block[] = []; const testRuns: string[] = []; const testCopies: Block[] = [];
  const summary: string[] = []; const notes: string[] = [];
  const runtimePkgs: string[] = []; const buildPkgs: string[] = []; const pipLibs: string[] = []; let pkgManager: 'apt' | 'apk' = 'apt';
  let venv: string | null = null; let venvAdded = false;
  const stItems = items.filter((i) => i.ins.stage === st.index && i.ins !== st.from);
  // Where the interpreter comes from: the base image (official python), or OS packages that a
  // RUN of this file installs — then the virtualenv can only be made after that RUN.
  const interpreterInBase = /(^|\/)python$|pypy/.test(parseImageRef(st.resolvedBaseImage).repo);
  const isPythonPkg = (p: string): boolean => /^python3?(\.\d+)?(-minimal|-full|-pip|-venv|-dev)?$/.test(p);
  const interpreterRun = interpreterInBase ? -1 : stItems.findIndex((it) => it.ins.keyword === 'RUN' && segments(runCommand(it.ins)).some((g) => installedPackages(g)?.packages.some(isPythonPkg) ?? false));
  const firstPipRun = stItems.findIndex((it) => it.ins.keyword === 'RUN' && segments(runCommand(it.ins)).some((g) => pipInstall(g) !== null));
  if (!interpreterInBase && firstPipRun >= 0) {
    if (interpreterRun < 0) return { fail: `${st.baseImage} is not an official Python image and no RUN installs the interpreter, so a virtualenv cannot be placed safely` };
    if (interpreterRun === firstPipRun) return { fail: `line ${stItems[firstPipRun]!.ins.line}: the same RUN installs the Python interpreter and runs pip; give pip its own RUN so the virtualenv can be created in between` };
  }
  const installed = stItems.flatMap((it) => (it.ins.keyword === 'RUN' ? segments(runCommand(it.ins)).flatMap((g) => installedPackages(g)?.packages ?? []) : []));
  const venvPython = interpreterInBase ? 'python' : 'python3';
  // Debian and Ubuntu split the venv module (ensurepip) into python3-venv; Alpine's python3 has it.
  const needsVenvPkg = !interpreterInBase && installed.some(isPythonPkg) && !installed.some((p) => /^python3(\.\d+)?-(venv|full)$/.test(p))
    && stItems.some((it) => it.ins.keyword === 'RUN' && segments(runCommand(it.ins)).some((g) => installedPackages(g)?.manager === 'apt'));
  const lastBuilderRun = (() => { let k = -1; stItems.forEach((it, n) => { if (it.ins.keyword === 'RUN' && segments(runCommand(it.ins)).some(isInstallSeg)) k = n; }); return k; })();
  for (const it of stItems) {
    const ins = it.ins;
    const segs = segments(runCommand(ins));
    for (const s of segs) {
      const m = /^(?:\S*\/)?(?:python[\d.]*\s+-m\s+venv|virtualenv)\s+(?:-\S+\s+)*(\S+)/.exec(commandWords(s).argv.join(' '));
      if (m && ins.keyword === 'RUN') { const k = st.instructions.indexOf(ins); venv = joinPath(c.wd[k]!, resolveVars(m[1]!, builderEnv(c, k))); }
      const pa = pipInstall(s);
      if (pa && pa.some((a) => /^(--user|--target|-t|--prefix|--root)(=|$)/.test(a))) return { fail: `line ${ins.line}: pip install --user/--target/--prefix puts packages outside a virtualenv` };
    }
  }
  const n = stItems.length;
  for (let k = 0; k < n; k++) {
    const it = stItems[k]!; const ins = it.ins;
    if (BOTH.has(ins.keyword)) { builder.push(blockOf(it)); runtime.push(blockOf(it)); continue; }
    if (RUNTIME_ONLY.has(ins.keyword)) { runtime.push(blockOf(it)); continue; }
    if (ins.keyword === 'USER') { if (k < lastBuilderRun) builder.push(blockOf(it)); runtime.push(blockOf(it)); continue; }
    if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      if (k < lastBuilderRun) builder.push(blockOf(it));
      if (copiesFromStage(ins) || !(isManifestCopy(ins) || (k < lastBuilderRun && isPythonBuildInput(ins)))) {
        runtime.push(blockOf(it));
        if (k >= lastBuilderRun) testCopies.push(blockOf(it));
      } else if (k >= lastBuilderRun) runtime.push(blockOf(it));
      else summary.push(`line ${ins.line}: ${ins.keyword} of build inputs stays in the builder.`);
      continue;
    }
    if (ins.keyword !== 'RUN') { runtime.push(blockOf(it)); continue; }
    const segs = segments(runCommand(ins));
    if (!segs.some(isInstallSeg)) {
      runtime.push(blockOf(it));
      notes.push(`line ${ins.line}: this RUN now runs in the runtime stage (after the virtualenv is copied); check that it works on ${runtimeImage}.`);
      continue;
    }
    const rp = runtimePackages(ins);
    runtimePkgs.push(...rp.runtime); buildPkgs.push(...rp.build); if (rp.manager) pkgManager = rp.manager;
    for (const g of segs) for (const a of pipInstall(g) ?? []) { const lib = pipNativeLibrary(a, runtimeDistro(runtimeImage, pkgManager, st.resolvedBaseImage)); if (lib && !pipLibs.includes(lib)) pipLibs.push(lib); }
    const other = segs.filter((g) => !isInstallSeg(g) && !/^(rm|apt-get|apk|echo|true|set)\b/.test(g));
    if (other.length) notes.push(`line ${ins.line}: this RUN installs packages and also runs \`${other[0]}\`; it runs in the builder, so files it makes outside ${venv ?? VENV} do not reach the runtime.`);
    if (rp.build.length) summary.push(`line ${ins.line}: build packages (${rp.build.join(', ')}) stay in the builder stage.`);
    const hasPip = segs.some((s) => pipInstall(s) !== null);
    if (hasPip && venv === null && !venvAdded) {
      const noIsolation = stItems.some((x) => x.ins.keyword === 'RUN' && segments(runCommand(x.ins)).some((g) => pipInstall(g)?.includes('--no-build-isolation')));
      if (needsVenvPkg) builder.push({ lines: ['RUN apt-get update && apt-get install -y --no-install-recommends python3-venv && rm -rf /var/lib/apt/lists/*'], comments: ['# The venv module is a separate package on Debian and Ubuntu.'] });
      builder.push(gen(`RUN ${venvPython} -m venv${noIsolation ? ' --system-site-packages' : ''} ${VENV}`, `ENV PATH="${VENV}/bin:$PATH"`));
      builder[builder.length - 1]!.comments.push(interpreterInBase ? '# Install into a virtualenv so the runtime stage can copy it whole.' : '# Install into a virtualenv (after the interpreter is installed) so the runtime stage can copy it whole.');
      if (noIsolation) {
        builder[builder.length - 1]!.comments.push('# pip runs with --no-build-isolation: the build backend (setuptools, wheel) comes from the', '# interpreter\'s own packages, which the virtualenv sees through --system-site-packages.');
        notes.push('The virtualenv uses --system-site-packages because pip runs with --no-build-isolation; packages the base image already provides are not installed into it, so the runtime image must provide them too.');
      }
      venvAdded = true;
    }
    const devSegs: string[] = [];
    let rewritten = false;
    const kept = segs.map((s) => {
      const pa = pipInstall(s);
      if (!pa) return s;
      const { common, runtime: rt, dev } = splitPipArgs(pa);
      if (dev.length === 0) return s;
      rewritten = true;
      const head = commandWords(s).argv.slice(0, commandWords(s).argv.indexOf('install') + 1);
      devSegs.push(joinWords([...head, ...common, ...dev]));
      summary.push(`line ${ins.line}: development packages (${dev.filter((d) => !d.startsWith('-')).join(', ')}) moved to the "test" stage.`);
      return rt.length ? joinWords([...head, ...common, ...rt]) : null;
    }).filter((s): s is string => s !== null);
    if (!rewritten) builder.push(blockOf(it));
    else if (kept.length) builder.push({ lines: [`RUN ${kept.join(` ${c.df.escapeChar}\n    && `)}`], comments: it.comments });
    if (devSegs.length) testRuns.push(`RUN ${devSegs.join(` ${c.df.escapeChar}\n    && `)}`);
    if (hasPip) summary.push(`line ${ins.line}: Python packages install in the builder into ${venv ?? VENV}; the runtime copies that directory.`);
  }
  if (!venvAdded && venv === null) return { fail: 'no pip install found to move into a builder' };
  if (venv !== null && /\$/.test(venv)) return { fail: `cannot tell where the virtualenv ${venv} is` };
  // Same base, no build packages left behind, no dev tools split off: two stages, same image.
  if (runtimeImage === st.baseImage && buildPkgs.length === 0 && testRuns.length === 0) return { fail: `the runtime would be ${runtimeImage} again with the same packages, so a split would save nothing` };
  const venvPath = venv ?? VENV;
  const setup: Block[] = [];
  if (pipLibs.length) summary.push(`${pipLibs.join(', ')} installed in the runtime stage: pip builds a package from source that loads ${pipLibs.length > 1 ? 'them' : 'it'} at runtime.`);
  if (firstPipRun >= 0 && stItems.some((it) => it.ins.keyword === 'RUN' && segments(runCommand(it.ins)).some((g) => (pipInstall(g) ?? []).some((a) => a === '-r' || a.startsWith('--requirement'))))
    && slim !== null && runtimeImage !== st.baseImage) {
    notes.push(`${st.baseImage} has the libraries of many -dev packages that ${runtimeImage} lacks: if a requirement builds from source against one (psycopg2 → libpq5, mysqlclient → libmariadb3), add its runtime package to the runtime stage.`);
  }
  const pkgBlock = runtimeSetup(c, { runtime: runtimePkgs, build: buildPkgs, manager: pkgManager, image: runtimeImage, blocks: runtime, extra: pipLibs }, summary, notes);
  if (pkgBlock) { setup.push(pkgBlock); if (runtimePkgs.length) summary.push(`runtime packages reinstalled in the runtime stage: ${[...new Set(runtimePkgs)].join(', ')}.`); }
  setup.push({ lines: [`COPY --from=builder ${venvPath} ${venvPath}`, ...(venvAdded ? [`ENV PATH="${venvPath}/bin:$PATH"`] : [])], comments: ['# Only the installed packages come from the builder.'] });
  insertAtAnchor(runtime, setup);
  const test = testRuns.length ? [...testRuns.map((l) => gen(l)), ...testCopies] : undefined;
  if (test) test[0]!.comments = ['# Development and test tools: build with `--target test`; never part of the runtime image.', ...test[0]!.comments];
  summary.push(`FROM ${st.baseImage} → builder; runtime stage on ${runtimeImage}.`);
  return { builder, test, runtime, runtimeImage, summary, notes };
}

/** Puts generated setup lines before the first content instruction (after leading ARG/ENV/LABEL/WORKDIR). */
function insertAtAnchor(runtime: Block[], setup: Block[]): void {
  let at = runtime.findIndex((b) => !/^(ARG|ENV|LABEL|WORKDIR|SHELL|MAINTAINER)\b/i.test(b.lines[0] ?? ''));
  if (at < 0) at = runtime.length;
  runtime.splice(at, 0, ...setup);
}

function nodeManagerOf(st: ParsedStage): { manager: NodeManager; production: boolean; at: number } | null {
  let nodeEnv: string | null = null;
  for (let k = 0; k < st.instructions.length; k++) {
    const ins = st.instructions[k]!;
    if (ins.keyword === 'ENV') for (const [key, v] of envPairs(ins)) if (key === 'NODE_ENV') nodeEnv = v;
    if (ins.keyword !== 'RUN') continue;
    for (const s of segments(runCommand(ins))) {
      const ni = nodeInstall(s);
      if (ni) return { manager: ni.manager, production: nodeInstallIsProduction(ni, nodeEnv), at: k };
    }
  }
  return null;
}

function planNode(c: Ctx): PlanResult {
  const { st, items } = c;
  const nm = nodeManagerOf(st);
  if (!nm) return { fail: 'no npm/yarn/pnpm install of the project dependencies found' };
  const appDir = c.wd[nm.at]!;
  if (appDir === '/') return { fail: 'no WORKDIR before the dependency install (set one to split automatically)' };
  const slim = slimFor(st.resolvedBaseImage);
  const runtimeImage = slim?.kind === 'variant' ? runtimeFrom(st, slim.image) : st.baseImage;
  const builder: Block[] = []; const runtime: Block[] = []; const summary: string[] = []; const notes: string[] = [];
  const runtimePkgs: string[] = []; const buildPkgs: string[] = []; let pkgManager: 'apt' | 'apk' = 'apt';
  const stItems = items.filter((i) => i.ins.stage === st.index && i.ins !== st.from);
  const isBuildRun = (ins: ParsedInstruction): boolean => ins.keyword === 'RUN' && segments(runCommand(ins)).some((s) => isInstallSeg(s) || isBuildSeg(s, 'node'));
  const lastBuild = Math.max(-1, ...stItems.map((it, n) => (isBuildRun(it.ins) ? n : -1)));
  for (const [n, it] of stItems.entries()) {
    const ins = it.ins; const k = st.instructions.indexOf(ins);
    if (RUNTIME_ONLY.has(ins.keyword)) { runtime.push(blockOf(it)); continue; }
    // A USER after the last build step is for the runtime; the prune must run as the installer did.
    if (ins.keyword === 'USER') { if (n < lastBuild) builder.push(blockOf(it)); runtime.push(blockOf(it)); continue; }
    builder.push(blockOf(it));
    if (BOTH.has(ins.keyword)) { runtime.push(blockOf(it)); continue; }
    if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      const ops = copyOperands(ins);
      const dest = ops ? normalizePath(joinPath(c.wd[k]!, ops.dest)) : appDir;
      if (!(dest === appDir || dest.startsWith(appDir + '/'))) { runtime.push(blockOf(it)); summary.push(`line ${ins.line}: ${ins.keyword} outside ${appDir} is repeated in the runtime stage.`); }
      continue;
    }
    if (ins.keyword === 'RUN') {
      const segs = segments(runCommand(ins));
      if (segs.some(isInstallSeg) || segs.some((s) => isBuildSeg(s, 'node'))) {
        const rp = runtimePackages(ins);
        runtimePkgs.push(...rp.runtime); buildPkgs.push(...rp.build); if (rp.manager) pkgManager = rp.manager;
        continue;
      }
      runtime.push(blockOf(it));
      notes.push(`line ${ins.line}: this RUN runs in both stages; check that it works on ${runtimeImage}.`);
    }
  }
  if (nm.production && runtimeImage === st.baseImage && buildPkgs.length === 0) return { fail: `dependencies are already production-only and the runtime would be ${runtimeImage} again, so a split would save nothing` };
  if (!nm.production) {
    // npm 6 (bundled with node <= 14) ignores --omit=dev and keeps devDependencies.
    const major = nodeMajor(st.resolvedBaseImage);
    const prune = nm.manager === 'npm' ? (major !== null && major <= 14 ? 'RUN npm prune --production' : 'RUN npm prune --omit=dev')
      : nm.manager === 'pnpm' ? 'RUN pnpm prune --prod'
        : 'RUN yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline';
    builder.push({ lines: [prune], comments: ['# The build is done: keep production dependencies only for the runtime.'] });
    summary.push(`devDependencies are used for the build, then pruned (${prune.slice(4)}) before the runtime copies ${appDir}.`);
    if (nm.manager === 'yarn') notes.push('yarn: `--production` is Yarn 1 syntax; with Yarn 2+ use `yarn workspaces focus --production`.');
  }
  const setup: Block[] = [];
  const pkgBlock = runtimeSetup(c, { runtime: runtimePkgs, build: buildPkgs, manager: pkgManager, image: runtimeImage, blocks: runtime }, summary, notes);
  if (pkgBlock) setup.push(pkgBlock);
  setup.push({ lines: [`COPY --from=builder ${appDir} ${appDir}`], comments: ['# The built application with production node_modules only.'] });
  insertAtAnchor(runtime, setup);
  summary.push(`FROM ${st.baseImage} → builder (install, build, prune); runtime stage on ${runtimeImage} copies ${appDir}.`);
  return { builder, runtime, runtimeImage, summary, notes };
}

function planCompiled(c: Ctx): PlanResult {
  const { st, items, eco } = c;
  const art = findArtifact(c);
  if ('fail' in art) return art;
  const summary: string[] = []; const notes: string[] = [];
  const stItems = items.filter((i) => i.ins.stage === st.index && i.ins !== st.from);
  const runtimeCopies: Block[] = []; const runtimePkgs: string[] = []; const buildPkgs: string[] = []; let pkgManager: 'apt' | 'apk' = 'apt';
  let cgoOff = true;
  for (const it of stItems) {
    if (it.ins.keyword === 'ENV') for (const [k, v] of envPairs(it.ins)) if (k === 'CGO_ENABLED' && v !== '0') cgoOff = false;
  }
  if (eco === 'go' && !cgoOff) return { fail: 'CGO_ENABLED is set: the binary links libc, so a static runtime would break it' };
  // Runtime image.
  let runtimeImage: string;
  const needsShell = st.instructions.some((i) => (i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT' || i.keyword === 'HEALTHCHECK') && !/^\s*(CMD\s+)?\[|^\s*NONE\b/i.test(i.keyword === 'HEALTHCHECK' ? i.args.replace(/^(--\S+\s+)*/, '') : i.args));
  for (const it of stItems) if (it.ins.keyword === 'RUN') { const rp = runtimePackages(it.ins); runtimePkgs.push(...rp.runtime); buildPkgs.push(...rp.build); if (rp.manager) pkgManager = rp.manager; }
  // A static Go binary loads no shared libraries: the -dev packages' runtime libraries are not needed.
  if (eco === 'go') buildPkgs.length = 0;
  if (eco === 'go') {
    const codename = debianCodename(parseImageRef(st.resolvedBaseImage).tag) ?? 'bookworm';
    if (needsShell || runtimePkgs.length) {
      runtimeImage = isBusyboxFamily(st.resolvedBaseImage) ? 'alpine:3' : `debian:${codename}-slim`;
      notes.push(`The runtime is ${runtimeImage} rather than distroless/static because ${needsShell ? 'CMD/ENTRYPOINT/HEALTHCHECK use the shell form' : 'runtime packages are installed'}.`);
    } else runtimeImage = c.opts.goRuntime === 'scratch' ? 'scratch' : DISTROLESS_STATIC;
  } else if (eco === 'rust') {
    const s = slimFor(st.resolvedBaseImage);
    runtimeImage = s && officialName(st.resolvedBaseImage) === 'rust' ? s.image : `debian:${debianCodename(parseImageRef(st.resolvedBaseImage).tag) ?? 'bookworm'}-slim`;
    // The full rust image has libssl-dev and CA certificates, so openssl-sys and native-tls crates
    // build and run there; the slim runtime gets their runtime halves, as the original had.
    if (!isBusyboxFamily(runtimeImage) && !/slim/.test(parseImageRef(st.resolvedBaseImage).tag ?? '')) {
      runtimePkgs.push('ca-certificates');
      buildPkgs.push('libssl-dev');
      summary.push('ca-certificates and the OpenSSL runtime library are installed in the runtime: the full rust image had them, and TLS crates need them.');
    }
    notes.push('If the binary links system libraries the build did not install as -dev packages, install their runtime packages in the runtime stage; ca-certificates is needed for outgoing TLS.');
  } else {
    const s = slimFor(st.resolvedBaseImage);
    if (!s) return { fail: `no JRE image is known for ${st.resolvedBaseImage}` };
    runtimeImage = s.image;
  }
  const builder: Block[] = []; const runtime: Block[] = [];
  for (const it of stItems) {
    const ins = it.ins;
    if (RUNTIME_ONLY.has(ins.keyword)) { runtime.push(blockOf(it)); continue; }
    if (ins.keyword === 'RUN' && eco === 'go' && !/CGO_ENABLED=/.test(ins.text) && segments(runCommand(ins)).some((s) => prog(s) === 'go' && sub(s) === 'build') && ins.heredocs.length === 0) {
      const kw = /^\S+/.exec(ins.text)![0];
      const rest = ins.text.slice(kw.length);
      const flagsEnd = /^(\s+--\S+)*/.exec(rest)![0].length;
      // The assignment goes right before each `go build`: in `go mod download && go build` a
      // prefix on the whole RUN would only reach the first command and leave the binary dynamic.
      const builds = segments(runCommand(ins)).filter((s) => prog(s) === 'go' && sub(s) === 'build').length;
      const head = kw.length + flagsEnd;
      const body = ins.text.slice(head);
      const at = [...body.matchAll(/(?<![\w/.$-])go\s+build\b/g)];
      const line = at.length === builds
        ? ins.text.slice(0, head) + body.replace(/(?<![\w/.$-])go(?=\s+build\b)/g, 'CGO_ENABLED=0 go')
        : `${kw}${rest.slice(0, flagsEnd)} CGO_ENABLED=0${rest.slice(flagsEnd)}`;
      builder.push({ lines: [line], comments: it.comments });
      summary.push(`line ${ins.line}: go build runs with CGO_ENABLED=0 so the binary is static.`);
      continue;
    }
    builder.push(blockOf(it));
    if (BOTH.has(ins.keyword)) { runtime.push(blockOf(it)); continue; }
    if (ins.keyword === 'USER') { runtime.push(blockOf(it)); continue; }
    if ((ins.keyword === 'COPY' || ins.keyword === 'ADD') && !copiesFromStage(ins)) {
      const ops = copyOperands(ins);
      if (ops && ops.sources.length && !ops.sources.every((s) => COMPILED_SOURCE.test(s) || MANIFEST.test(base(s)))) {
        runtimeCopies.push(blockOf(it));
        summary.push(`line ${ins.line}: ${ins.keyword} of ${ops.sources.join(' ')} is repeated in the runtime stage (not source code).`);
      }
    }
  }
  // Files next to the binary (config, templates, assets): when the whole context went into the
  // directory the program runs in, the runtime gets the same files — what the original image had there.
  const entryIdx = (() => { for (let k = st.instructions.length - 1; k >= 0; k--) if (['CMD', 'ENTRYPOINT'].includes(st.instructions[k]!.keyword)) return k; return -1; })();
  const runDir = entryIdx >= 0 ? c.wd[entryIdx]! : '/';
  if (eco !== 'java') {
    for (const it of stItems) {
      const ins = it.ins;
      if ((ins.keyword !== 'COPY' && ins.keyword !== 'ADD') || copiesFromStage(ins)) continue;
      const ops = copyOperands(ins);
      if (!ops || !ops.sources.some((x) => x === '.' || x === './')) continue;
      const dest = normalizePath(joinPath(c.wd[st.instructions.indexOf(ins)]!, ops.dest));
      const inside = (p: string): boolean => dest === '/' ? false : p === dest || p.startsWith(dest + '/');
      if (!inside(runDir) && !inside(art.path)) continue;
      const flags = ins.flags.filter((f) => f.name === 'chown' || f.name === 'chmod').map((f) => `--${f.name}=${f.value}`);
      runtimeCopies.push({ lines: [`COPY ${[...flags, ...ops.sources, dest.endsWith('/') ? dest : dest + '/'].join(' ')}`], comments: ['# The files the program finds next to it (config, templates, assets), as in the original image.'] });
      summary.push(`line ${ins.line}: the build context is copied into ${dest} of the runtime stage too, because the program runs there and may read files next to it; narrow it to what the app needs.`);
      break;
    }
  }
  // distroless/scratch have no useradd: a named USER from the original becomes the image's own non-root id.
  if (isShellless(runtimeImage)) {
    const nonroot = runtimeImage === 'scratch' ? '65532:65532' : 'nonroot:nonroot';
    for (const b of runtime) {
      const m = /^USER\s+(\S+)/i.exec(b.lines[0] ?? '');
      if (m && !/^(\d+(:\d+)?|nonroot(:nonroot)?|root|0)$/.test(m[1]!)) { b.lines = [`USER ${nonroot}`]; summary.push(`USER ${m[1]} → USER ${nonroot}: ${runtimeImage} has no way to create users.`); }
    }
    for (const b of runtimeCopies) b.lines = b.lines.map((l) => l.replace(/--chown=(?!\d)\S+/, `--chown=${nonroot}`));
  }
  const setup: Block[] = [];
  const pkgBlock = runtimeSetup(c, { runtime: runtimePkgs, build: buildPkgs, manager: pkgManager, image: runtimeImage, blocks: runtime }, summary, notes);
  if (pkgBlock) setup.push(pkgBlock);
  setup.push(...runtimeCopies);
  setup.push({ lines: [`COPY --from=builder ${art.path} ${art.dest}`], comments: [eco === 'java' ? '# Only the built jar leaves the builder.' : '# Only the compiled binary leaves the builder.'] });
  insertAtAnchor(runtime, setup);
  // `$GOPATH` and friends are ENV of the toolchain image: write their values out in the runtime.
  resolveBlocks(runtime, lostEnv(c, runtimeImage));
  summary.push(`FROM ${st.baseImage} → builder; runtime stage on ${runtimeImage} receives ${art.path}${art.dest !== art.path ? ` as ${art.dest}` : ''}.`);
  return { builder, runtime, runtimeImage, summary, notes };
}

// ---------------------------------------------------------------------------------------------
// Rendering

function render(blocks: Block[], out: string[]): void {
  for (const b of blocks) {
    if (b.comments.length) { if (out.length && out[out.length - 1] !== '') out.push(''); out.push(...b.comments); }
    out.push(...b.lines);
  }
}

function renderPlan(c: Ctx, plan: Plan, header: string[], trailer: string[], runtimeName: string): string {
  const out: string[] = [...header];
  const globals = c.items.filter((i) => i.ins.stage === -1);
  if (header.length && globals.length) out.push('');
  render(globals.map(blockOf), out);
  if (out.length) out.push('');
  const fromComments = c.items.find((i) => i.ins === c.st.from)?.comments ?? [];
  // The comments above the original FROM often describe the whole file; keep them, set apart.
  if (fromComments.length) out.push(...fromComments, '');
  out.push('# Build stage: toolchain, dependencies and caches stay here.', fromLine(c.st, c.st.baseImage, 'builder'));
  render(plan.builder, out);
  if (plan.test) {
    out.push('', 'FROM builder AS test');
    render(plan.test, out);
  }
  out.push('', '# Runtime stage: only what the application needs to run.', fromLine(c.st, plan.runtimeImage, runtimeName));
  render(plan.runtime, out);
  if (trailer.length) out.push('', ...trailer);
  return out.join('\n') + '\n';
}

// Tools a slim variant has: a RUN, HEALTHCHECK or entrypoint that uses only these (or packages the
// file installs itself) keeps working when the base is swapped.
const SLIM_SAFE_COPY = /(^|\/)(node_modules|vendor|\.venv|venv|site-packages|\.bundle)\/?$/;

/** Why swapping the base for its slim variant could break this file, or null when it cannot. */
function swapRisk(st: ParsedStage, slimImage: string): string | null {
  // debian:*-slim drops docs, man pages and locales only; the language images' slim variants drop
  // the buildpack-deps tools and libraries, which is what can break.
  if (officialName(st.resolvedBaseImage) === 'debian') return null;
  const family = distroOfImage(slimImage)?.family ?? 'debian';
  const installed = new Set<string>();
  for (const ins of st.instructions) {
    if (ins.keyword === 'RUN') for (const g of segments(runCommand(ins))) for (const p of installedPackages(g)?.packages ?? []) installed.add(p);
  }
  for (const ins of st.instructions) {
    if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      const ops = copyOperands(ins);
      const hit = ops?.sources.find((x) => SLIM_SAFE_COPY.test(x));
      if (hit) return `line ${ins.line} copies ${hit}, which may hold native code built against the full image`;
    }
    const cmds = runtimeCommands([{ lines: [ins.text], comments: [] }]);
    // Language package tools (npm run install, gem, composer) may compile against the full image.
    const lang = ins.keyword === 'RUN' ? cmds.find((x) => /^(npm|npx|yarn|pnpm|pip[\d.]*|gem|bundle|composer|node-gyp|cpanm)$/.test(x.replace(/^.*\//, ''))) : undefined;
    if (lang) return `line ${ins.line} runs \`${lang}\`, which may build native code against the libraries of ${st.baseImage}`;
    for (const cmd of cmds) {
      const pk = slimMissingCommand(cmd, family);
      if (pk && !(pk !== 'build' && installed.has(pk))) return `line ${ins.line} runs \`${cmd}\`, which ${slimImage} does not have`;
    }
    if ((ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT')) {
      const first = execArgv(ins).argv.find((a) => !/^(sh|bash|\/bin\/sh|\/bin\/bash|-c|exec)$/.test(a)) ?? '';
      if (/\.sh$|entrypoint/i.test(first)) return `line ${ins.line} starts ${first}, a script whose commands cannot be checked against ${slimImage}`;
    }
  }
  return null;
}

/**
 * Whether the users of an image are known: official images and distroless start as root with no
 * app user. Any other base may set its own USER already — then a `RUN useradd` runs as that user
 * and fails, and the base's user is the one the app expects.
 */
function knownUsers(ref: string): boolean {
  return officialName(ref) !== null || isShellless(ref);
}
/** Why adding USER to this app would likely break it, or null. */
function userRisk(st: ParsedStage): string | null {
  if (!st.instructions.some((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT')) {
    return 'the file sets no CMD or ENTRYPOINT, so what runs (and whether it needs root) is decided elsewhere';
  }
  // Rails (tmp/pids, log/) and Laravel (storage/, bootstrap/cache) write into the app directory,
  // which COPY made root-owned: an unprivileged user would crash at start.
  const text = st.instructions.map((i) => i.text).join('\n');
  if (/\b(bundle|rails|puma|unicorn|rackup|gem install)\b|Gemfile/.test(text)) return 'Ruby apps (Rails, Puma) write tmp/ and log/ inside the app directory, which is root-owned here; create the user, chown those directories to it, then add USER';
  if (/\b(composer|artisan)\b/.test(text)) return 'PHP apps (Laravel) write storage/ and bootstrap/cache inside the app directory, which is root-owned here; chown those to the user, then add USER';
  return null;
}

const UNKNOWN_BASE_USER = (image: string): string => `No USER added: ${image} is not an official image, so it may already switch to its own user (adding one could break the build); if it runs as root, add a USER yourself.`;

/** Safe single-stage improvements when the split is not possible: slim base, caches, user. */
function safeSubset(text: string, df: ParsedDockerfile, opts: RefactorOptions, summary: string[], notes: string[], kind: ImageKind): string {
  let cur = text;
  const st = df.stages[0]!;
  const slim = slimFor(st.resolvedBaseImage);
  const installsLanguagePackages = hasSeg(st, (s) => pipInstall(s) !== null || nodeInstall(s) !== null || ['gem', 'bundle', 'composer'].includes(prog(s)));
  const buildTools = st.instructions.some((i) => i.keyword === 'RUN' && runtimePackages(i).build.length > 0);
  const risk = slim?.kind === 'variant' ? swapRisk(st, slim.image) : null;
  if (risk && df.stages.length === 1 && kind === 'app' && !installsLanguagePackages && !buildTools) notes.push(`The base stays ${st.baseImage}: ${risk}.`);
  if (df.stages.length === 1 && kind === 'app' && slim?.kind === 'variant' && !installsLanguagePackages && !buildTools && !risk) {
    const lines = cur.split('\n');
    const r = st.from.range;
    const line = lines[r.start.line]!;
    const idx = line.indexOf(st.baseImage, r.start.character);
    if (idx >= 0 && r.start.line === r.end.line) {
      lines[r.start.line] = line.slice(0, idx) + runtimeFrom(st, slim.image) + line.slice(idx + st.baseImage.length);
      cur = lines.join('\n');
      summary.push(`FROM ${st.baseImage} → ${runtimeFrom(st, slim.image)} (${slim.why}).`);
    }
  }
  // Base and ONBUILD images are often built by the classic builder (official-image infrastructure),
  // where RUN --mount is a syntax error: they get no cache mounts either.
  if (opts.cacheMounts !== false && kind !== 'base' && kind !== 'onbuild') {
    const e = addCacheMounts(cur);
    if (e.length) { cur = applyEdits(cur, e); summary.push(`added BuildKit cache mounts to ${e.length} RUN instruction${e.length > 1 ? 's' : ''}.`); }
  }
  const noUser = kind === 'app' ? userRisk(st) : null;
  if (kind === 'app' && !knownUsers(st.resolvedBaseImage)) notes.push(UNKNOWN_BASE_USER(st.baseImage));
  else if (noUser) notes.push(`No USER added: ${noUser}.`);
  else if (kind === 'app') {
    const u = addNonRootUser(cur, undefined, opts.user);
    if (u.length) { cur = applyEdits(cur, u); summary.push('the final stage now runs as a non-root user.'); notes.push(USER_NOTE); }
  }
  return cur;
}

/** Inserts whatever user creation a stage that uses `USER name`/`--chown=name` is missing. */
function withStageUsers(text: string, summary: string[]): string {
  const e = ensureStageUsers(text);
  if (!e.length) return text;
  summary.push(`created the user${e.length > 1 ? 's' : ''} that ${e.length > 1 ? 'stages use' : 'a stage uses'} with USER/--chown but did not have.`);
  return applyEdits(text, e);
}

/**
 * Rewrites a single-stage Dockerfile into builder + runtime stages. Returns `changed: false`
 * for files that are already multi-stage (so running it on its own output is a no-op), that
 * have parse problems, or that need no change — and then `text` is the input, byte for byte.
 */
export function refactorToMultiStage(text: string, opts: RefactorOptions = {}): RefactorResult {
  const df = parseDockerfile(text);
  const eco = df.problems.length ? 'unknown' : detectEcosystem(df);
  const kv = df.problems.length ? { kind: 'app' as ImageKind, reason: '' } : imageKind(df);
  const unchanged = (notes: string[], refused?: string): RefactorResult => ({ text, edits: [], ecosystem: eco, summary: [], notes, changed: false, kind: kv.kind, ...(refused ? { refused } : {}) });
  if (df.problems.length) return unchanged([`Fix the Dockerfile first: ${df.problems[0]!.message}`], df.problems[0]!.message);
  const hd = unterminatedHeredoc(df);
  if (hd) {
    const msg = `line ${hd.line}: the heredoc <<${hd.heredocs[0]} is never terminated (no line "${hd.heredocs[hd.heredocs.length - 1]}"), so the rest of the file is part of it. Add the terminator line.`;
    return unchanged([msg], msg);
  }
  if (kv.kind === 'windows') return unchanged([`Left unchanged: ${kv.reason}.`]);
  const special = kv.kind !== 'app' ? `Left without USER and without a base swap: ${kv.reason}.` : null;
  if (df.stages.length > 1) return unchanged(['Already a multi-stage build: nothing to split.']);
  const st = df.stages[0]!;
  const { items, header, trailer } = attachComments(df);
  const c: Ctx = { df, st, items, wd: workdirs(st), opts, eco };
  const normalized = df.text.replace(/\r\n?/g, '\n');
  let plan: PlanResult;
  if (special) plan = { fail: kv.reason };
  else switch (eco) {
    case 'python': plan = planPython(c); break;
    case 'node': plan = planNode(c); break;
    case 'go': case 'rust': case 'java': plan = planCompiled(c); break;
    default: plan = { fail: 'no known ecosystem (Python, Node, Go, Rust, Java) detected' };
  }
  const summary: string[] = [];
  const notes: string[] = [];
  let out: string;
  if ('fail' in plan) {
    notes.push(special ?? `Cannot split into stages automatically: ${plan.fail}. Applied the safe subset only.`);
    out = safeSubset(normalized, df, opts, summary, notes, kv.kind);
  } else {
    const runtimeName = st.name && st.name !== 'builder' && st.name !== 'test' ? st.name : 'runtime';
    out = renderPlan(c, plan, header.filter((h) => !/^#\s*syntax\s*=/i.test(h)), trailer, runtimeName);
    summary.push(...plan.summary);
    notes.push(...plan.notes);
    if (opts.cacheMounts !== false) {
      const e = addCacheMounts(out);
      if (e.length) { out = applyEdits(out, e); summary.push(`added BuildKit cache mounts to ${e.length} RUN instruction${e.length > 1 ? 's' : ''} (works without a # syntax line).`); }
    }
    out = withStageUsers(out, summary);
    const risk = userRisk(st);
    if (!knownUsers(plan.runtimeImage)) notes.push(UNKNOWN_BASE_USER(plan.runtimeImage));
    else if (risk) notes.push(`No USER added: ${risk}.`);
    else {
      const u = addNonRootUser(out, undefined, opts.user);
      if (u.length) { out = applyEdits(out, u); summary.push('the runtime stage runs as a non-root user.'); notes.push(USER_NOTE); }
    }
    const check = parseDockerfile(out);
    if (check.problems.length) {
      return unchanged([`Internal: the rewrite did not parse (${check.problems[0]!.message}); left unchanged.`]);
    }
  }
  // Nothing to do: say so and give the input back untouched (line endings and all).
  if (out === normalized) return unchanged([...notes, 'No change needed: the output is the input, byte for byte.']);
  return finish(text, out, eco, kv.kind, summary, notes);
}

function finish(text: string, normalizedOut: string, eco: Ecosystem, kind: ImageKind, summary: string[], notes: string[]): RefactorResult {
  const eol = eolOf(text);
  const out = eol !== '\n' ? normalizedOut.replace(/\n/g, eol) : normalizedOut;
  const changed = out !== text;
  return {
    text: out, edits: changed ? [{ range: wholeDocument(text), newText: out }] : [], ecosystem: eco,
    summary, notes, changed, kind,
  };
}
