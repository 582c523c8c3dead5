// Static findings over a parsed Dockerfile. Size-related rules look only at the stages whose
// layers end up in the final image (the final stage and the stages it is built FROM): a
// builder stage is *supposed* to carry compilers and caches. Fixes call the refactor module,
// so the editor and the CLI apply exactly the same edits.
import { baseChain, parseDockerfile, type ParsedDockerfile, type ParsedInstruction, type ParsedStage, type Span } from '../dockerfile/parse';
import { dockerfileHash } from '../hash';
import type { AnalysisReport } from '../report';
import { applyEdits, eolOf } from '../refactor/edits';
import { changesRuntimeBase, finalBaseOf, savingsOf } from './savings';
import { cacheNeeds, cleanupEditsFor, mountEditFor, posIn, type CacheNeed } from '../refactor/mounts';
import { refactorToMultiStage, splitPipArgs, type RefactorResult } from '../refactor/multistage';
import { isBuildPackage, toolchainEstimate } from '../knowledge/packages';
import { addNonRootUser, finalUser, isRootUser } from '../refactor/user';
import { isToolchainImage, parseImageRef, slimFor } from '../knowledge/images';
import { readPragmas, suppressed } from './pragmas';
import { leftCaches, type CacheTool } from './caches';
import { contentAdviceDoesNotApply, imageKind, userAdviceDoesNotApply, type ImageKind } from './kind';
import { globalArgDefaults, resolveVars, walkChain } from './vars';
import { layerWrites, onlyTrivialBefore, within, type LayerWrites } from './writes';
import {
  commandWords, copyOperands, installedPackages, joinPath, nodeInstall, nodeInstallIsProduction, normalizePath,
  pipInstall, removedPaths, runCommand, runSegments,
} from '../knowledge/shell';
import type { ContextInfo, Finding, Fix, RuleId, Severity } from './types';
import { RULES } from './types';

export interface AnalyzeOptions {
  /** An analysis of the same Dockerfile text; fills `measuredBytes`. Ignored when its hash differs. */
  report?: AnalysisReport;
  /** Rule ids or hadolint codes to skip. */
  disabledRules?: string[];
  /** Whether builds use BuildKit (default true): decides cache mounts versus in-RUN cleanup. */
  buildkit?: boolean;
  /** The build context, for the `.dockerignore` rule. */
  contextFiles?: ContextInfo;
  /**
   * Reports of other versions of the text — the file with a fix applied, built by apply-and-measure
   * or in the background. A fix whose result is among them gets a measured saving.
   */
  fixReports?: readonly AnalysisReport[];
  /** Unpacked sizes of images the engine has (reference → bytes), e.g. the slim base of a rewrite. */
  imageSizes?: Readonly<Record<string, number>>;
}

type Concern = number[] | 'base';

interface Ctx {
  text: string;
  df: ParsedDockerfile;
  final: ParsedStage;
  /** Stages whose layers are in the final image, root first. */
  chain: ParsedStage[];
  chainIns: ParsedInstruction[];
  buildkit: boolean;
  refactor: () => RefactorResult | null;
  kind: ImageKind;
  /** Variables, ENV and USER in effect before each instruction of the final chain. */
  before: Map<ParsedInstruction, { vars: Map<string, string>; user: string | null }>;
}

const severityOf = (id: RuleId): Severity => RULES.find((r) => r.id === id)!.severity;

interface Draft {
  id: RuleId; span: Span; message: string; rationale: string; hadolint: string | null;
  estimateBytes: number | null; concern: Concern; fix?: Fix;
}

function spanOf(a: ParsedInstruction, b: ParsedInstruction = a): Span {
  return { start: a.range.start, end: b.range.end };
}

const cmdCache = new WeakMap<ParsedInstruction, string>();
const cmdOf = (ins: ParsedInstruction): string => { let v = cmdCache.get(ins); if (v === undefined) { v = runCommand(ins); cmdCache.set(ins, v); } return v; };
const segsOf = (ins: ParsedInstruction): string[] => runSegments(ins);

/** The refactor fix, offered only when it really splits the file into stages. */
function splitFix(c: Ctx): Fix | undefined {
  // Asked once per finding: re-parsing the rewrite each time made 50 RUN lines take seconds.
  if (splitFixes.has(c)) return splitFixes.get(c);
  const r = c.refactor();
  const fix = !r || !r.changed || parseDockerfile(r.text).stages.length < 2 ? undefined : { title: 'Split into a builder and a slim runtime stage', edits: r.edits, split: true };
  splitFixes.set(c, fix);
  return fix;
}
const splitFixes = new WeakMap<Ctx, Fix | undefined>();

function ruleBuildTools(c: Ctx, out: Draft[]): void {
  if (contentAdviceDoesNotApply(c.kind)) return;
  for (const ins of c.chainIns) {
    if (ins.keyword !== 'RUN') continue;
    const cmd = cmdOf(ins);
    // Installing and removing in the same RUN is the right single-stage pattern.
    if (/\bapk\s+del\b|\bapt-get\s+(purge|remove|autoremove)\b|\bapt\s+(purge|remove)\b/.test(cmd)) continue;
    const pkgs: string[] = [];
    for (const seg of segsOf(ins)) { const pk = installedPackages(seg); if (pk) pkgs.push(...pk.packages.filter(isBuildPackage)); }
    if (!pkgs.length) continue;
    out.push({
      id: 'build-tools-in-final', span: spanOf(ins),
      message: `Build tools in the final image: ${pkgs.slice(0, 5).join(', ')}${pkgs.length > 5 ? ', …' : ''}.`,
      rationale: 'Compilers and headers are only needed to build; shipping them makes the image larger and gives an attacker a toolchain. Install them in a builder stage and copy the results.',
      hadolint: null, estimateBytes: toolchainEstimate(pkgs), concern: [ins.line], fix: splitFix(c),
    });
  }
}

function ruleDevDeps(c: Ctx, out: Draft[]): void {
  if (contentAdviceDoesNotApply(c.kind)) return;
  const pruned = (after: ParsedInstruction): boolean => c.chainIns.some((i) => i.keyword === 'RUN' && i.line > after.line
    && /\bnpm\s+prune\b|\bpnpm\s+prune\b|\byarn\s+install\b[^&;]*--production/.test(cmdOf(i)));
  for (const ins of c.chainIns) {
    if (ins.keyword !== 'RUN') continue;
    // NODE_ENV reaches the RUN from ENV (itself possibly `$NODE_ENV` of an ARG default) or from an ARG.
    const nodeEnv = c.before.get(ins)?.vars.get('NODE_ENV') ?? null;
    const what: string[] = [];
    for (const seg of segsOf(ins)) {
      const pa = pipInstall(seg);
      if (pa) { const { dev } = splitPipArgs(pa); const names = dev.filter((d) => !d.startsWith('-')); if (names.length) what.push(...names); }
      const ni = nodeInstall(seg);
      if (ni && !isVersionProbe(ni.args) && !nodeInstallIsProduction(ni, nodeEnv) && !pruned(ins)) what.push(`${ni.manager} devDependencies`);
    }
    if (!what.length) continue;
    out.push({
      id: 'dev-deps-in-final', span: spanOf(ins),
      message: `Development dependencies installed in the final image: ${what.join(', ')}.`,
      rationale: 'Test, lint and build-only packages add size and attack surface at runtime. Install them in a builder or test stage; the runtime gets production dependencies only.',
      hadolint: null, estimateBytes: null, concern: [ins.line], fix: splitFix(c),
    });
  }
}

function ruleFatBase(c: Ctx, out: Draft[]): void {
  if (contentAdviceDoesNotApply(c.kind)) return;
  const root = c.chain[0]!;
  if (root.baseStage !== null) return;
  const s = slimFor(root.resolvedBaseImage);
  if (!s) return;
  let fix = splitFix(c);
  if (!fix && s.kind === 'variant') {
    const written = root.baseImage;
    const image = written === root.resolvedBaseImage ? s.image
      : s.image.startsWith(root.resolvedBaseImage) ? written + s.image.slice(root.resolvedBaseImage.length) : null;
    const r = root.from.range;
    const lineText = c.df.text.split(/\r\n|\r|\n/)[r.start.line] ?? '';
    const at = lineText.indexOf(written, r.start.character + 4);
    if (image && at >= 0) {
      fix = { title: `Use ${image}`, edits: [{ range: { start: { line: r.start.line, character: at }, end: { line: r.start.line, character: at + written.length } }, newText: image }] };
    }
  }
  const toolchain = isToolchainImage(root.resolvedBaseImage) || s.kind === 'runtime';
  out.push({
    id: 'fat-base', span: spanOf(root.from),
    message: toolchain
      ? `The final image is based on the build toolchain ${root.resolvedBaseImage}; run the built artefact on ${s.image}.`
      : `The final image uses the full ${root.resolvedBaseImage}; ${s.image} is the slim equivalent.`,
    rationale: `${s.why[0]!.toUpperCase()}${s.why.slice(1)}. Build in a stage on the full image if compilers are needed, and run on the small one.`,
    hadolint: null, estimateBytes: s.estimateBytes, concern: 'base', fix,
  });
}

const PM_HADOLINT: Partial<Record<CacheTool, string>> = { pip: 'DL3042', apt: 'DL3009', apk: 'DL3019', yarn: 'DL3060' };
const CLEANUP_HOW: Partial<Record<CacheTool, string>> = {
  pip: 'pip install --no-cache-dir', apk: 'apk add --no-cache', apt: 'rm -rf /var/lib/apt/lists/* (or apt-get dist-clean) in the same RUN',
  npm: 'npm cache clean --force in the same RUN', yarn: 'yarn cache clean in the same RUN', pnpm: 'pnpm store prune in the same RUN',
  poetry: 'poetry install --no-cache', bun: 'bun install --no-cache', bundler: 'bundle install --no-cache or removing $GEM_HOME/cache in the same RUN',
};
const MOUNTABLE = new Set<CacheTool>(['pip', 'apt', 'apk', 'npm', 'yarn', 'pnpm', 'go', 'cargo', 'maven']);

/** Edits that keep poetry's and bun's caches out of the layer (their own --no-cache switch). */
function noCacheSwitchEdits(ins: ParsedInstruction, tool: CacheTool): Fix['edits'] {
  if (ins.heredocs.length > 0 || ins.args.trim().startsWith('[')) return [];
  const re = tool === 'poetry' ? /\bpoetry\s+(install|add)\b/ : tool === 'bun' ? /\bbun\s+(install|i|add)\b/ : null;
  const m = re?.exec(ins.text);
  if (!m) return [];
  const p = posIn(ins, m.index + m[0].length);
  return [{ range: { start: p, end: p }, newText: ' --no-cache' }];
}

function rulePmCache(c: Ctx, out: Draft[]): void {
  const eol = eolOf(c.text);
  for (const ins of c.chainIns) {
    if (ins.keyword !== 'RUN') continue;
    const at = c.before.get(ins);
    if (!at) continue;
    const user = at.user;
    const asRoot = isRootUser(user);
    for (const left of leftCaches(ins, at.vars, user)) {
      const tool = left.tool;
      // A cache mount at root's cache path is the seed's fix; under another USER that path is not
      // where the cache goes (and a root-owned mount is not writable), so clean up instead.
      const mountable = c.buildkit && MOUNTABLE.has(tool) && (asRoot || !left.inHome);
      const needs = mountable ? cacheNeeds(ins, new Map([...at.vars].filter(([k]) => k.startsWith('PIP_'))), null).filter((n) => n.tool === tool) : [];
      let edits: Fix['edits'] = [];
      if (needs.length) edits = [mountEditFor(ins, needs, eol, c.df.escapeChar)];
      else if (tool === 'poetry' || tool === 'bun') edits = noCacheSwitchEdits(ins, tool);
      else if (['pip', 'apk', 'apt', 'npm', 'yarn'].includes(tool)) edits = cleanupEditsFor(ins, new Set([tool as CacheNeed['tool']]));
      const how = needs.length ? 'a BuildKit cache mount' : CLEANUP_HOW[tool] ?? 'a BuildKit cache mount';
      const where = left.where.startsWith('~') ? `${left.where} (the home of USER ${user})` : left.where;
      out.push({
        id: 'pm-cache', span: spanOf(ins),
        message: `${tool} leaves its cache in this layer (${where}); use ${how}.`,
        rationale: needs.length
          ? 'Download caches are rebuilt on every change and stay in the image. A cache mount (RUN --mount=type=cache) keeps them between builds and out of the layer; no # syntax line is needed.'
          : 'Disable or remove the cache in the same RUN; deleting it in a later layer does not shrink the image.',
        hadolint: PM_HADOLINT[tool] ?? null, estimateBytes: tool === 'apt' ? 30_000_000 : null, concern: [ins.line],
        fix: edits.length ? { title: needs.length ? `Add a cache mount for ${tool}` : `Keep the ${tool} cache out of the layer`, edits } : undefined,
      });
    }
  }
}

function ruleNoRecommends(c: Ctx, out: Draft[]): void {
  for (const ins of c.chainIns) {
    if (ins.keyword !== 'RUN') continue;
    const missing = segsOf(ins).some((seg) => {
      const pk = installedPackages(seg);
      return pk?.manager === 'apt' && pk.packages.length > 0 && !pk.options.includes('--no-install-recommends')
        && !pk.options.some((o) => /Install-Recommends=(false|0|no)/i.test(o)) && !/Install-Recommends\s*=?\s*"?(false|0)/i.test(seg);
    });
    if (!missing) continue;
    const edits: Fix['edits'] = [];
    if (ins.heredocs.length === 0) {
      const re = /\bapt(?:-get)?\b[^&;|]*?\binstall\b/g;
      let m: RegExpExecArray | null;
      while ((m = re.exec(ins.text))) {
        if (/--no-install-recommends/.test(ins.text.slice(m.index, m.index + 400).split(/&&|;/)[0] ?? '')) continue;
        const p = posIn(ins, m.index + m[0].length);
        edits.push({ range: { start: p, end: p }, newText: ' --no-install-recommends' });
      }
    }
    out.push({
      id: 'apt-no-recommends', span: spanOf(ins),
      message: 'apt-get install without --no-install-recommends pulls in recommended packages.',
      rationale: 'Recommended packages are optional extras (documentation tools, helpers) that often double an install; list what the app needs instead.',
      hadolint: 'DL3015', estimateBytes: null, concern: [ins.line],
      fix: edits.length ? { title: 'Add --no-install-recommends', edits } : undefined,
    });
  }
}

const DEL_PKG = (argv: string[]): { manager: 'apt' | 'apk' | 'yum' | 'pip'; names: string[] } | null => {
  const p = argv[0]?.replace(/^.*\//, '') ?? '';
  const names = (from: number): string[] => argv.slice(from).filter((a) => !a.startsWith('-'));
  if (p === 'apk' && argv[1] === 'del') return { manager: 'apk', names: names(2) };
  if ((p === 'apt-get' || p === 'apt') && ['purge', 'remove'].includes(argv[1] ?? '')) return { manager: 'apt', names: names(2) };
  if ((p === 'yum' || p === 'dnf') && ['remove', 'erase'].includes(argv[1] ?? '')) return { manager: 'yum', names: names(2) };
  if (/^pip\d?(\.\d+)?$/.test(p) && argv[1] === 'uninstall') return { manager: 'pip', names: names(2).map((n) => n.toLowerCase()) };
  return null;
};
// Paths a build step is unlikely to have produced: removing them after `COPY . .` always wastes the copy.
const SOURCE_ONLY = /^(\.git|\.github|tests?|spec|docs?|examples?|\.circleci|\.gitlab)$/;

function ruleDeletedLater(c: Ctx, out: Draft[]): void {
  const wdBefore = new Map<ParsedInstruction, string>();
  for (const st of c.chain) {
    let wd = '/';
    for (const ins of st.instructions) {
      wdBefore.set(ins, wd);
      if (ins.keyword === 'WORKDIR') wd = joinPath(wd, resolveVars(ins.args.trim().replace(/^["']|["']$/g, ''), c.before.get(ins)?.vars ?? new Map()));
    }
  }
  const list = c.chainIns.filter((i) => i.keyword !== 'FROM');
  const writes: (LayerWrites | null)[] = list.map((i) => layerWrites(i, wdBefore.get(i) ?? '/', c.before.get(i)?.vars ?? new Map()));
  list.forEach((ins, k) => {
    if (ins.keyword !== 'RUN') return;
    const vars = c.before.get(ins)?.vars ?? new Map<string, string>();
    const wd = wdBefore.get(ins) ?? '/';
    const creators = new Set<ParsedInstruction>();
    const what: string[] = [];
    let chown = false;
    const hit = (j: number, label: string): void => { creators.add(list[j]!); if (!what.includes(label)) what.push(label); };
    runSegments(ins).forEach((seg, segIdx) => {
      const { argv } = commandWords(seg);
      const prog = argv[0]?.replace(/^.*\//, '') ?? '';
      const abs = (p: string): string => normalizePath(joinPath(wd, resolveVars(p, vars)));
      if (prog === 'rm') {
        for (const p of removedPaths(seg).map(abs)) {
          if (p === '/' || p.includes('$') || p.includes('*') && p.replace(/\/\*.*$/, '') === '') continue;
          const target = p.replace(/\/\*$/, '');
          for (let j = 0; j < k; j++) {
            const w = writes[j];
            if (!w) continue;
            if (w.paths.some((x) => within(x, target) || (w.copied && within(target, x) && x !== '/'))) { hit(j, target); continue; }
            if (w.contextDir && within(target, w.contextDir) && target !== w.contextDir) {
              const first = target.slice(w.contextDir.length).split('/').filter(Boolean)[0] ?? '';
              if (SOURCE_ONLY.test(first) || onlyTrivialBefore(ins, segIdx)) hit(j, target);
            }
          }
        }
      }
      const del = DEL_PKG(argv);
      if (del) {
        for (let j = 0; j < k; j++) {
          const w = writes[j];
          for (const n of del.names) if (w?.packages.some((x) => x.manager === del.manager && x.name === n)) hit(j, `package ${n}`);
        }
      }
      if ((prog === 'chown' || prog === 'chmod') && argv.some((a) => /^-[a-zA-Z]*R/.test(a) || a === '--recursive')) {
        const operands = argv.slice(1).filter((a) => !a.startsWith('-'));
        for (const p of operands.slice(1).map(abs)) {
          for (let j = 0; j < k; j++) {
            const w = writes[j];
            if (w?.copied && (w.paths.some((x) => within(x, p)) || (w.contextDir !== null && within(w.contextDir, p)))) { hit(j, p); chown = true; }
          }
        }
      }
    });
    if (!creators.size) return;
    const lines = [...creators].map((x) => x.line).sort((a, b) => a - b);
    out.push({
      id: 'deleted-later', span: spanOf(ins),
      message: chown
        ? `${what.join(', ')} ${what.length > 1 ? 'are' : 'is'} changed here by a recursive chown/chmod over files from line ${lines.join(', ')}; every file is stored again in this layer.`
        : `${what.join(', ')} ${what.length > 1 ? 'are' : 'is'} removed here but written by line ${lines.join(', ')}; the bytes stay in that layer.`,
      rationale: chown
        ? 'Changing ownership or mode in a later layer copies each file into the new layer, so the image holds them twice. Use COPY --chown/--chmod, or change them in the RUN that creates them.'
        : 'Each instruction is a layer; deleting a file in a later layer only hides it. Remove it in the same RUN that creates it, leave it out with .dockerignore, or create it in a builder stage.',
      hadolint: null, estimateBytes: null, concern: lines,
    });
  });
}

/** `yarn --version`, `npm install --help`: a probe, not an install. */
const isVersionProbe = (args: string[]): boolean => args.some((a) => ['--version', '-v', '-V', '--help', '-h'].includes(a));

function isDepInstall(seg: string): boolean {
  const pa = pipInstall(seg);
  if (pa) return pa.some((a) => a === '-r' || a.startsWith('--requirement') || a.startsWith('-r'));
  if (nodeInstall(seg)) return true;
  const { argv } = commandWords(seg);
  const p = argv[0]?.replace(/^.*\//, '');
  return (p === 'go' && argv[1] === 'mod' && argv[2] === 'download') || (p === 'bundle' && (argv[1] ?? 'install') === 'install')
    || (p === 'composer' && argv[1] === 'install') || (p === 'cargo' && argv[1] === 'fetch')
    || ((p === 'mvn' || p === 'mvnw') && argv.some((a) => a.startsWith('dependency:')));
}

function ruleCopyBeforeDeps(c: Ctx, out: Draft[]): void {
  for (const st of c.df.stages) {
    let wholeCopy: ParsedInstruction | null = null;
    let installedBefore = false;
    for (const ins of st.instructions) {
      if (!wholeCopy && (ins.keyword === 'COPY' || ins.keyword === 'ADD') && !ins.flags.some((f) => f.name === 'from')) {
        const ops = copyOperands(ins);
        if (ops?.sources.some((s) => s === '.' || s === './' || s === '*' || s === './*')) wholeCopy = ins;
        continue;
      }
      if (ins.keyword !== 'RUN') continue;
      const dep = segsOf(ins).some(isDepInstall);
      if (!dep) continue;
      if (!wholeCopy) { installedBefore = true; continue; }
      if (installedBefore) break;
      out.push({
        id: 'copy-before-deps', span: spanOf(wholeCopy),
        message: `The whole context is copied before the dependency install on line ${ins.line}; any source change reinstalls every dependency.`,
        rationale: 'Layers are cached in order: copy only the dependency manifests (requirements.txt, package*.json, go.mod…), install, then copy the rest.',
        hadolint: null, estimateBytes: null, concern: [],
      });
      break;
    }
  }
}

/** Stages a `FROM name-$VAR` could name (a variable that selects one of several stages). */
function candidateBaseStages(c: Ctx, st: ParsedStage): ParsedStage[] {
  if (st.baseStage !== null || !st.baseImage.includes('$')) return [];
  const pattern = st.baseImage.replace(/[.*+?^()|[\]\\]/g, '\\$&').replace(/\\?\$\{[^}]*\}|\$[A-Za-z_]\w*/g, '.+');
  const re = new RegExp(`^${pattern.replace(/\{|\}/g, '')}$`, 'i');
  return c.df.stages.filter((s) => s.index < st.index && s.name !== null && re.test(s.name));
}

function ruleRootUser(c: Ctx, out: Draft[]): void {
  const u = finalUser(c.df);
  if (!isRootUser(u.user)) return;
  if (u.ins) {
    // hadolint DL3002: the last USER names root explicitly.
    const edits = addNonRootUser(c.text, c.df);
    out.push({
      id: 'root-user', span: spanOf(u.ins),
      message: `The final stage switches back to ${u.user}; the container runs as root.`,
      rationale: 'A process running as root inside the container is root on any volume it mounts and one kernel bug away from the host. Switch to an unprivileged user after the steps that need root.',
      hadolint: 'DL3002', estimateBytes: null, concern: [],
      fix: edits.length && !userAdviceDoesNotApply(c.kind) ? { title: 'Run as a non-root user', edits } : undefined,
    });
    return;
  }
  if (userAdviceDoesNotApply(c.kind)) return;
  // `FROM binary-$TARGETOS` selects a stage: its USER is inherited, not root.
  const cands = candidateBaseStages(c, c.chain[0]!);
  if (cands.length && cands.every((s) => s.instructions.some((i) => i.keyword === 'USER' && !isRootUser(i.args.trim())))) return;
  if (cands.length) return; // unknown which stage; its user may be set there
  const lowPort = c.kind.traits.has('exposes-low-port');
  const edits = lowPort ? [] : addNonRootUser(c.text, c.df);
  out.push({
    id: 'root-user', span: spanOf(c.final.from),
    message: lowPort
      ? `The final stage runs as root (no USER); ${c.kind.why['exposes-low-port']}: serve on a port ≥ 1024 (or grant CAP_NET_BIND_SERVICE) and add a USER.`
      : 'The final stage runs as root (no USER).',
    rationale: 'A process running as root inside the container is root on any volume it mounts and one kernel bug away from the host. Create an unprivileged user and switch to it.',
    hadolint: null, estimateBytes: null, concern: [],
    fix: edits.length ? { title: 'Run as a non-root user', edits } : undefined,
  });
}

const REMOTE = /^(https?:\/\/|git@|ssh:\/\/|git:\/\/)/;
const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst|gz|bz2|xz|zst)$/i;

function ruleAddLocal(c: Ctx, out: Draft[]): void {
  for (const ins of c.df.instructions) {
    if (ins.keyword !== 'ADD') continue;
    const ops = copyOperands(ins);
    if (!ops || ops.sources.length === 0) continue;
    if (ops.sources.some((s) => REMOTE.test(s) || ARCHIVE.test(s))) continue;
    const addOnly = ins.flags.some((f) => ['checksum', 'keep-git-dir', 'unpack'].includes(f.name));
    const kwLen = /^\S+/.exec(ins.text)![0].length;
    out.push({
      id: 'add-local', span: spanOf(ins),
      message: 'ADD copies local files here; use COPY.',
      rationale: 'ADD also fetches URLs and unpacks archives, so a reader cannot tell what it does; COPY does only the copy.',
      hadolint: 'DL3020', estimateBytes: null, concern: [ins.line],
      fix: addOnly ? undefined : { title: 'Use COPY', edits: [{ range: { start: ins.range.start, end: { line: ins.range.start.line, character: ins.range.start.character + kwLen } }, newText: 'COPY' }] },
    });
  }
}

function ruleUntagged(c: Ctx, out: Draft[]): void {
  const globals = globalArgDefaults(c.df);
  for (const st of c.df.stages) {
    if (st.baseStage !== null) continue;
    const img = st.resolvedBaseImage;
    if (!img || img === 'scratch' || img.includes('$')) continue;
    // A variable without a default (TARGETOS, a --build-arg) decides the image: nothing to judge.
    if (/\$\{?([A-Za-z_]\w*)/.test(st.baseImage) && [...st.baseImage.matchAll(/\$\{?([A-Za-z_]\w*)/g)].some((m) => !globals.get(m[1]!))) continue;
    if (candidateBaseStages(c, st).length) continue;
    const { tag, digest } = parseImageRef(img);
    if (digest) continue;
    if (tag && tag !== 'latest') continue;
    out.push({
      id: 'untagged-base', span: spanOf(st.from),
      message: tag ? `${img} follows whatever "latest" is today; pin a version tag.` : `${img} has no tag (it means :latest); pin a version tag.`,
      rationale: 'An unpinned base changes under you: builds stop being reproducible and sizes change without a Dockerfile change.',
      hadolint: tag ? 'DL3007' : 'DL3006', estimateBytes: null, concern: [],
    });
  }
}

function ruleConsecutiveRun(c: Ctx, out: Draft[]): void {
  const flagKey = (i: ParsedInstruction): string => i.flags.map((f) => `${f.name}=${f.value ?? ''}`).sort().join(' ');
  const lines = c.df.text.split(/\r\n|\r|\n/);
  for (const st of c.chain) {
    const ins = st.instructions;
    for (let k = 0; k < ins.length; k++) {
      if (ins[k]!.keyword !== 'RUN') continue;
      let e = k;
      while (e + 1 < ins.length && ins[e + 1]!.keyword === 'RUN' && flagKey(ins[e + 1]!) === flagKey(ins[k]!)) e++;
      if (e === k) continue;
      const group = ins.slice(k, e + 1);
      const first = group[0]!; const last = group[group.length - 1]!;
      let fix: Fix | undefined;
      const inner = lines.slice(first.range.start.line, last.range.end.line + 1);
      const mergeable = group.every((g) => g.heredocs.length === 0 && !g.args.trim().startsWith('[')) && !inner.some((l) => /^\s*#/.test(l));
      if (mergeable) {
        const flags = first.flags.map((f) => `--${f.name}${f.value !== null ? `=${f.value}` : ''} `).join('');
        const esc = c.df.escapeChar;
        fix = { title: 'Merge into one RUN', edits: [{ range: spanOf(first, last), newText: `RUN ${flags}${group.map((g) => g.args.trim()).join(` ${esc}\n    && `)}` }] };
      }
      out.push({
        id: 'consecutive-run', span: spanOf(first, last),
        message: `${group.length} consecutive RUN instructions (lines ${first.line}–${last.line}) make ${group.length} layers.`,
        rationale: 'Each RUN is a layer; files created in one and removed in the next still count. Chain related commands with && in one RUN.',
        hadolint: 'DL3059', estimateBytes: null, concern: [], fix,
      });
      k = e;
    }
  }
}

const HEAVY_OR_SECRET = /^(\.git|node_modules|\.venv|venv|__pycache__|\.pytest_cache|\.mypy_cache|\.tox|target|dist|build|\.terraform|\.aws|\.ssh|\.env(\..+)?|.*\.(pem|key|p12|pfx)|id_rsa.*|\.npmrc|\.pypirc|\.netrc)$/;

function ruleDockerignore(c: Ctx, ctx: ContextInfo | undefined, out: Draft[]): void {
  if (!ctx || ctx.hasDockerignore) return;
  const flagged = ctx.entries.filter((e) => HEAVY_OR_SECRET.test(e.name) || e.bytes > 50_000_000);
  if (!flagged.length) return;
  const at = c.df.instructions.find((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !i.flags.some((f) => f.name === 'from')
    && (copyOperands(i)?.sources.some((s) => s === '.' || s === './' || s === '*') ?? false)) ?? c.df.stages[0]!.from;
  out.push({
    id: 'no-dockerignore', span: spanOf(at),
    message: `No .dockerignore: the build context sends ${flagged.slice(0, 5).map((e) => e.name).join(', ')}${flagged.length > 5 ? ', …' : ''}.`,
    rationale: 'Everything in the context is uploaded to the builder and can end up in an image with COPY . — version history, local dependencies and secrets included. List them in a .dockerignore.',
    hadolint: null, estimateBytes: flagged.reduce((a, e) => a + e.bytes, 0), concern: [],
  });
}

function measured(c: Ctx, report: AnalysisReport | undefined, concern: Concern): number | null {
  if (!report || report.dockerfileHash !== dockerfileHash(c.text)) return null;
  if (concern === 'base') {
    const root = report.stages.find((s) => s.index === c.chain[0]!.index);
    return root?.baseSizeBytes ?? null;
  }
  if (!concern.length) return null;
  const want = new Set(concern);
  let sum = 0; let any = false;
  const seen = new Set<string>();
  for (const s of report.stages) {
    for (const l of s.layers) {
      if (l.fromBase || l.line === null || !want.has(l.line)) continue;
      const key = `${l.line}:${l.createdBy}`;
      if (seen.has(key)) continue;
      seen.add(key); sum += l.sizeBytes; any = true;
    }
  }
  return any ? sum : null;
}

/** All findings for a Dockerfile, in line order. Never throws. */
export function analyzeDockerfile(text: string, opts: AnalyzeOptions = {}): Finding[] {
  const df = parseDockerfile(text);
  if (df.stages.length === 0) return [];
  const final = df.stages[df.stages.length - 1]!;
  const chain = baseChain(df, final.index).map((i) => df.stages[i]!);
  const chainIns = chain.flatMap((s) => [s.from, ...s.instructions]);
  let memo: RefactorResult | null | undefined;
  const before = new Map<ParsedInstruction, { vars: Map<string, string>; user: string | null }>();
  walkChain(df, final.index, (ins, st) => { before.set(ins, { vars: new Map(st.vars), user: st.user }); });
  const c: Ctx = {
    kind: imageKind(df), before,
    text: df.text === text ? text : df.text, df, final, chain, chainIns, buildkit: opts.buildkit !== false,
    refactor: () => {
      if (memo === undefined) { try { memo = df.stages.length === 1 ? refactorToMultiStage(text) : null; } catch { memo = null; } }
      return memo;
    },
  };
  const disabled = new Set((opts.disabledRules ?? []).map((r) => r.toLowerCase()));
  const drafts: Draft[] = [];
  const rules: [RuleId, () => void][] = [
    ['build-tools-in-final', () => ruleBuildTools(c, drafts)],
    ['dev-deps-in-final', () => ruleDevDeps(c, drafts)],
    ['fat-base', () => ruleFatBase(c, drafts)],
    ['pm-cache', () => rulePmCache(c, drafts)],
    ['apt-no-recommends', () => ruleNoRecommends(c, drafts)],
    ['deleted-later', () => ruleDeletedLater(c, drafts)],
    ['copy-before-deps', () => ruleCopyBeforeDeps(c, drafts)],
    ['root-user', () => ruleRootUser(c, drafts)],
    ['add-local', () => ruleAddLocal(c, drafts)],
    ['untagged-base', () => ruleUntagged(c, drafts)],
    ['consecutive-run', () => ruleConsecutiveRun(c, drafts)],
    ['no-dockerignore', () => ruleDockerignore(c, opts.contextFiles, drafts)],
  ];
  for (const [id, run] of rules) if (!disabled.has(id)) run();
  const pragmas = readPragmas(df);
  const findings: Finding[] = [];
  // The split drops the final image's toolchain layers; everything else comes back, copied.
  const toolchainLines = drafts.filter((d) => d.id === 'build-tools-in-final').flatMap((d) => (Array.isArray(d.concern) ? d.concern : []));
  const fixed = new Map<Fix, string>();
  const fixedTextOf = (fx: Fix): string => { let t = fixed.get(fx); if (t === undefined) { t = applyEdits(c.text, fx.edits); fixed.set(fx, t); } return t; };
  for (const d of drafts) {
    if (d.hadolint && disabled.has(d.hadolint.toLowerCase())) continue;
    const line = d.span.start.line + 1;
    if (suppressed(pragmas, d.id, d.hadolint, line)) continue;
    const f: Finding = {
      id: d.id, severity: severityOf(d.id), range: d.span, line, endLine: d.span.end.line + 1,
      message: d.message, rationale: d.rationale, hadolint: d.hadolint, estimateBytes: d.estimateBytes,
      measuredBytes: measured(c, opts.report, d.concern),
      savings: null,
    };
    const fixedText = d.fix ? fixedTextOf(d.fix) : null;
    const split = d.fix?.split === true;
    f.savings = savingsOf({
      text: c.text, fixedText, split, estimateBytes: d.estimateBytes, report: opts.report, fixReports: opts.fixReports, imageSizes: opts.imageSizes,
      newBaseImage: fixedText !== null && changesRuntimeBase(d.id, d.fix) ? finalBaseOf(fixedText) : null,
      droppedLines: split ? toolchainLines : [],
    });
    if (d.fix) f.fix = d.fix;
    findings.push(f);
  }
  findings.sort((a, b) => a.line - b.line || a.range.start.character - b.range.start.character);
  return findings;
}
