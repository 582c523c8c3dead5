// Several compose files → one project, merged as Compose merges `-f a -f b` (compose-spec
// "Merge"): services by name, mappings key by key, later files win, `!reset` clears and
// `!override` replaces. Then every service with a build becomes a ServiceBuild with absolute
// paths, and services sharing Dockerfile + context + target + args + network share one analysis.
import { isAbsolute, join, resolve } from 'node:path';
import { ComposeError, type BuildSection, type ComposeFile, type Located, type ServiceSection } from './parse';
import type { Variables } from './interpolate';

export interface MergedService {
  name: string;
  /** Where the service was first declared, and where its build was last set. */
  file: string;
  line: number;
  image: Located<string> | null;
  build: BuildSection | null;
}

/** Merges parsed compose files in order (the first is the base, later ones override it). */
export function mergeComposeFiles(files: ComposeFile[]): MergedService[] {
  const byName = new Map<string, MergedService>();
  for (const f of files) {
    for (const s of f.services) {
      const prev = byName.get(s.name);
      if (!prev || s.tag === 'override') { byName.set(s.name, fresh(s)); continue; }
      if (s.tag === 'reset') { byName.delete(s.name); continue; }
      if (s.image !== undefined) prev.image = s.image;
      if (s.build !== undefined) prev.build = mergeBuild(prev.build, s.build);
    }
  }
  return [...byName.values()];
}

function fresh(s: ServiceSection): MergedService {
  return { name: s.name, file: s.file, line: s.line, image: s.image ?? null, build: s.build && s.build.tag !== 'reset' ? clone(s.build) : null };
}

function clone(b: BuildSection): BuildSection {
  return { ...b, args: b.args ? { ...b.args, entries: { ...b.args.entries } } : b.args };
}

function mergeBuild(prev: BuildSection | null, next: BuildSection | null): BuildSection | null {
  if (next === null || next.tag === 'reset') return null;
  if (prev === null || next.tag === 'override') return clone(next);
  const out: BuildSection = { ...prev, line: next.line, file: next.file, tag: null };
  for (const k of ['context', 'dockerfile', 'dockerfileInline', 'target', 'network'] as const) {
    if (next[k] !== undefined) out[k] = next[k];
  }
  // dockerfile and dockerfile_inline exclude each other: the later file's choice wins.
  if (next.dockerfile) out.dockerfileInline = undefined;
  if (next.dockerfileInline) out.dockerfile = undefined;
  if (next.args !== undefined) {
    if (next.args === null) { /* `args:` left empty: keep what was there */ }
    else if (next.args.tag === 'reset') out.args = null;
    else if (next.args.tag === 'override' || !prev.args) out.args = { ...next.args, entries: { ...next.args.entries } };
    else out.args = { ...next.args, tag: null, entries: { ...prev.args.entries, ...next.args.entries } };
  }
  return out;
}

export interface ServiceBuild {
  service: string;
  /** The compose file and line of the service's (last) `build:`. */
  file: string;
  line: number;
  image: string | null;
  /** Absolute build context. */
  context: string;
  /** Absolute Dockerfile path; for dockerfile_inline a name inside the context that does not exist. */
  dockerfile: string;
  /** The Dockerfile text from `dockerfile_inline`, else null (read the file). */
  dockerfileInline: string | null;
  target: string | null;
  network: string | null;
  /** Resolved build args: valueless ones take the variable of that name, or are left out. */
  args: Record<string, string>;
  /** Valueless args with no variable to take a value from (Compose then does not set them). */
  argsUnset: string[];
}

export interface ComposeProject {
  files: string[];
  /** Directory relative paths resolve against: the first compose file's folder. */
  projectDir: string;
  name: string | null;
  builds: ServiceBuild[];
  /** Services with no build section (image only), which Stage Lens cannot build. */
  imageOnly: { service: string; image: string | null; file: string; line: number }[];
  warnings: string[];
}

const REMOTE_CONTEXT = /^(https?:\/\/|git@|git:\/\/|github\.com\/|ssh:\/\/)/;

export function resolveProject(files: ComposeFile[], opts: { projectDir: string; vars: Variables; home?: string }): ComposeProject {
  if (files.length === 0) throw new Error('resolveProject needs at least one compose file');
  const merged = mergeComposeFiles(files);
  const builds: ServiceBuild[] = [];
  const imageOnly: ComposeProject['imageOnly'] = [];
  for (const s of merged) {
    const b = s.build;
    if (!b) { imageOnly.push({ service: s.name, image: s.image?.value ?? null, file: s.file, line: s.line }); continue; }
    const key = `services.${s.name}.build`;
    const ctxValue = b.context?.value ?? '.';
    if (REMOTE_CONTEXT.test(ctxValue)) {
      throw new ComposeError(`the context ${ctxValue} is a remote repository; Stage Lens builds local folders only. Clone it and point context: at the folder.`, b.context?.file ?? b.file, b.context?.line ?? b.line, `${key}.context`);
    }
    if (ctxValue.trim() === '') throw new ComposeError('context is empty; use "." for the compose file\'s folder.', b.context?.file ?? b.file, b.context?.line ?? b.line, `${key}.context`);
    const context = resolve(opts.projectDir, expandHome(ctxValue, opts.home));
    const inline = b.dockerfileInline?.value ?? null;
    if (inline !== null && inline.trim() === '') throw new ComposeError('dockerfile_inline is empty.', b.dockerfileInline!.file, b.dockerfileInline!.line, `${key}.dockerfile_inline`);
    const dfValue = b.dockerfile?.value ?? 'Dockerfile';
    const dockerfile = inline !== null ? join(context, `.stagelens-inline-${s.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.Dockerfile`)
      : isAbsolute(dfValue) ? dfValue : resolve(context, dfValue);
    const args: Record<string, string> = {};
    const argsUnset: string[] = [];
    for (const [k, v] of Object.entries(b.args?.entries ?? {})) {
      if (v.value !== null) args[k] = v.value;
      else if (opts.vars[k] !== undefined) args[k] = opts.vars[k]!;
      else argsUnset.push(k);
    }
    builds.push({
      service: s.name, file: b.file, line: b.line, image: s.image?.value ?? null, context, dockerfile, dockerfileInline: inline,
      target: b.target?.value || null, network: b.network?.value || null, args, argsUnset,
    });
  }
  return {
    files: files.map((f) => f.file), projectDir: opts.projectDir, name: [...files].reverse().find((f) => f.name)?.name ?? null,
    builds, imageOnly, warnings: files.flatMap((f) => f.warnings),
  };
}

/** `~/dir` (the spec's own example) is the user's home; the glue passes it in. */
function expandHome(p: string, home: string | undefined): string {
  return home && (p === '~' || p.startsWith('~/')) ? join(home, p.slice(1)) : p;
}

/** Services to analyse, by name; unknown names are a usage error naming the known ones. */
export function selectServices(project: ComposeProject, names: string[]): ServiceBuild[] {
  if (!names.length) return project.builds;
  const known = new Map(project.builds.map((b) => [b.service, b]));
  const out: ServiceBuild[] = [];
  for (const n of names) {
    const b = known.get(n);
    if (!b) {
      const img = project.imageOnly.find((x) => x.service === n);
      const list = project.builds.map((x) => x.service).join(', ') || 'none';
      throw new ComposeError(img ? `service ${n} has no build: section (it runs the image ${img.image ?? '?'}), so there is nothing to analyse. Services with a build: ${list}.`
        : `no service ${n}. Services with a build: ${list}.`, project.files[0]!, null, null);
    }
    if (!out.includes(b)) out.push(b);
  }
  return out;
}

/** One analysis job: what makes two services' builds the same build. */
export interface AnalysisJob {
  key: string;
  build: ServiceBuild;
  services: string[];
}

export function jobKey(b: ServiceBuild): string {
  const args = Object.keys(b.args).sort().map((k) => [k, b.args[k]]);
  return JSON.stringify([b.dockerfileInline === null ? b.dockerfile : `inline:${b.dockerfileInline}`, b.context, b.target ?? '', args, b.network ?? '']);
}

/** Groups services whose builds are identical, so each distinct build is analysed once. */
export function planAnalyses(builds: ServiceBuild[]): AnalysisJob[] {
  const jobs = new Map<string, AnalysisJob>();
  for (const b of builds) {
    const key = jobKey(b);
    const j = jobs.get(key);
    if (j) j.services.push(b.service); else jobs.set(key, { key, build: b, services: [b.service] });
  }
  return [...jobs.values()];
}
