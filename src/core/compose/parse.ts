// One compose file → the build sections of its services, each value with the line it came
// from, interpolated per file (Compose interpolates before it merges). Only what a build needs
// is read: `build` (short string or mapping: context, dockerfile, dockerfile_inline, target,
// network, args) and `image`. Pure: the caller passes the file's text and the variables.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import { interpolate, InterpolationError, type Variables } from './interpolate';

/** A problem in a compose file: names the file, the key path and the 1-based line. */
export class ComposeError extends Error {
  constructor(readonly detail: string, readonly file: string, readonly line: number | null, readonly key: string | null) {
    super(`${file}${line ? `:${line}` : ''}: ${key ? `${key}: ` : ''}${detail}`);
    this.name = 'ComposeError';
  }
}

export interface Located<T> { value: T; line: number; file: string }

/** `!reset` clears what earlier files set; `!override` replaces it instead of merging. */
export type MergeTag = 'reset' | 'override' | null;

export interface BuildSection {
  /** Line of the `build:` key. */
  line: number;
  file: string;
  tag: MergeTag;
  context?: Located<string> | null;
  dockerfile?: Located<string> | null;
  dockerfileInline?: Located<string> | null;
  target?: Located<string> | null;
  network?: Located<string> | null;
  /** null value: `- NAME` / `NAME:` without a value, taken from the variables if set. */
  args?: { tag: MergeTag; line: number; entries: Record<string, Located<string | null>> } | null;
}

export interface ServiceSection {
  name: string;
  /** Line of the service's key under `services:`. */
  line: number;
  file: string;
  tag: MergeTag;
  image?: Located<string> | null;
  build?: BuildSection | null;
}

export interface ComposeFile {
  file: string;
  /** Top-level `name:` (project name), when set. */
  name: string | null;
  services: ServiceSection[];
  /** 1-based line of the top-level `services:` key. */
  servicesLine: number;
  /** Not fatal: unset variables (Compose substitutes ""), features this reader skips. */
  warnings: string[];
}

const BUILD_STRING_KEYS = { context: 'context', dockerfile: 'dockerfile', dockerfile_inline: 'dockerfileInline', target: 'target', network: 'network' } as const;

export function parseComposeFile(text: string, file: string, vars: Variables): ComposeFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, merge: true, prettyErrors: false, uniqueKeys: true });
  const lineOf = (n: Node | null | undefined): number => (n?.range ? lc.linePos(n.range[0]).line : 1);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.pos ? lc.linePos(e.pos[0]).line : null;
    throw new ComposeError(`not valid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, file, line, null);
  }
  const warnings: string[] = [];
  const ctx: Ctx = { file, vars, doc, lineOf, warnings };
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    throw new ComposeError('the file is empty; a compose file needs a top-level `services:` mapping.', file, null, null);
  }
  if (!isMap(root)) throw new ComposeError(`the top level must be a mapping with \`services:\`, not ${kindOf(root)}.`, file, lineOf(root as Node), null);
  let name: string | null = null;
  let services: ServiceSection[] = [];
  let sawServices = false;
  let servicesLine = 1;
  for (const [key, keyNode, value] of entries(ctx, root)) {
    if (key === 'name') name = scalarString(ctx, value, 'name');
    else if (key === 'services') { sawServices = true; servicesLine = lineOf(keyNode); services = parseServices(ctx, value, servicesLine); }
    else if (key === 'include') warnings.push(`${file}:${lineOf(keyNode)}: \`include:\` is not followed; analyse the included files with their own --compose.`);
  }
  if (!sawServices) throw new ComposeError('no top-level `services:` mapping, so there is nothing to build.', file, null, 'services');
  return { file, name, services, servicesLine, warnings };
}

interface Ctx { file: string; vars: Variables; doc: Document; lineOf: (n: Node | null | undefined) => number; warnings: string[] }

function kindOf(n: unknown): string {
  if (isMap(n)) return 'a mapping';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) return n.value === null ? 'empty' : typeof n.value === 'string' ? `the string "${String(n.value).slice(0, 40)}"` : `the ${typeof n.value} ${String(n.value)}`;
  return 'something else';
}

function deref(ctx: Ctx, n: unknown): Node | null {
  if (isAlias(n)) return (n.resolve(ctx.doc) as Node | undefined) ?? null;
  return (n as Node | null) ?? null;
}

function tagOf(n: Node | null): MergeTag {
  const t = n && 'tag' in n ? (n as { tag?: string }).tag : undefined;
  return t === '!reset' ? 'reset' : t === '!override' ? 'override' : null;
}

/** Key/value pairs of a mapping, with YAML merge keys (`<<: *anchor`) expanded under the own keys. */
function entries(ctx: Ctx, map: YAMLMap): [string, Node | null, Node | null][] {
  const own: [string, Node | null, Node | null][] = [];
  const merged: [string, Node | null, Node | null][] = [];
  for (const p of map.items) {
    const keyNode = deref(ctx, p.key);
    const key = isScalar(keyNode) ? (typeof keyNode.value === 'symbol' ? '<<' : String(keyNode.value)) : String(keyNode);
    const value = deref(ctx, p.value);
    if (key === '<<' && (isMap(value) || isSeq(value))) {
      const sources = isSeq(value) ? value.items.map((x) => deref(ctx, x)) : [value];
      for (const s of sources) if (isMap(s)) merged.push(...entries(ctx, s).map(([k, kn, v]) => [k, kn ?? keyNode, v] as [string, Node | null, Node | null]));
      continue;
    }
    own.push([key, keyNode, value]);
  }
  const seen = new Set(own.map(([k]) => k));
  return [...own, ...merged.filter(([k]) => !seen.has(k) && (seen.add(k), true))];
}

function interp(ctx: Ctx, raw: string, key: string, line: number): string {
  try {
    const r = interpolate(raw, ctx.vars);
    for (const v of r.unset) ctx.warnings.push(`${ctx.file}:${line}: ${key}: variable ${v} is not set; Compose substitutes an empty string.`);
    return r.value;
  } catch (e) {
    if (e instanceof InterpolationError) throw new ComposeError(e.message, ctx.file, line, key);
    throw e;
  }
}

function scalarString(ctx: Ctx, n: Node | null, key: string): string | null {
  if (n === null || (isScalar(n) && n.value === null)) return null;
  if (!isScalar(n) || !['string', 'number', 'boolean'].includes(typeof n.value)) {
    throw new ComposeError(`must be a string, not ${kindOf(n)}.`, ctx.file, ctx.lineOf(n), key);
  }
  return interp(ctx, String(n.value), key, ctx.lineOf(n));
}

function parseServices(ctx: Ctx, n: Node | null, line: number): ServiceSection[] {
  if (n === null || (isScalar(n) && n.value === null)) return [];
  if (!isMap(n)) throw new ComposeError(`must be a mapping of service names to their definitions, not ${kindOf(n)}.`, ctx.file, isScalar(n) || isSeq(n) ? ctx.lineOf(n) : line, 'services');
  const out: ServiceSection[] = [];
  for (const [name, keyNode, value] of entries(ctx, n)) {
    const key = `services.${name}`;
    const svcLine = ctx.lineOf(keyNode);
    const tag = tagOf(value);
    const svc: ServiceSection = { name, line: svcLine, file: ctx.file, tag };
    if (tag === 'reset' || value === null || (isScalar(value) && value.value === null)) { out.push(svc); continue; }
    if (!isMap(value)) throw new ComposeError(`a service must be a mapping (build:, image:, …), not ${kindOf(value)}.`, ctx.file, ctx.lineOf(value), key);
    for (const [k, kn, v] of entries(ctx, value)) {
      if (k === 'image') {
        const s = tagOf(v) === 'reset' ? null : scalarString(ctx, v, `${key}.image`);
        svc.image = s === null ? null : { value: s, line: ctx.lineOf(v), file: ctx.file };
      } else if (k === 'build') {
        svc.build = parseBuild(ctx, v, `${key}.build`, ctx.lineOf(kn));
      } else if (k === 'extends') {
        ctx.warnings.push(`${ctx.file}:${ctx.lineOf(kn)}: ${key}.extends is not followed; its build settings are not inherited.`);
      }
    }
    out.push(svc);
  }
  return out;
}

function parseBuild(ctx: Ctx, n: Node | null, key: string, line: number): BuildSection | null {
  const tag = tagOf(n);
  if (tag === 'reset') return { line, file: ctx.file, tag };
  if (n === null || (isScalar(n) && n.value === null)) {
    throw new ComposeError('is empty: give the build context (`build: .`) or a mapping with `context:`.', ctx.file, line, key);
  }
  // Short form: `build: ./dir` is `build: { context: ./dir }`.
  if (isScalar(n)) {
    const v = scalarString(ctx, n, key);
    return { line, file: ctx.file, tag, context: { value: v ?? '.', line: ctx.lineOf(n), file: ctx.file } };
  }
  if (!isMap(n)) throw new ComposeError(`must be a path (the build context) or a mapping with context:, dockerfile:, target:, args:, not ${kindOf(n)}.`, ctx.file, ctx.lineOf(n), key);
  const b: BuildSection = { line, file: ctx.file, tag };
  for (const [k, kn, v] of entries(ctx, n)) {
    if (k in BUILD_STRING_KEYS) {
      const field = BUILD_STRING_KEYS[k as keyof typeof BUILD_STRING_KEYS];
      const s = tagOf(v) === 'reset' ? null : scalarString(ctx, v, `${key}.${k}`);
      b[field] = s === null ? null : { value: s, line: ctx.lineOf(v ?? kn), file: ctx.file };
    } else if (k === 'args') {
      b.args = parseArgs(ctx, v, `${key}.args`, ctx.lineOf(kn));
    }
  }
  if (b.dockerfile && b.dockerfileInline) {
    throw new ComposeError('has both dockerfile: and dockerfile_inline:; keep one of them.', ctx.file, b.dockerfileInline.line, key);
  }
  return b;
}

function parseArgs(ctx: Ctx, n: Node | null, key: string, line: number): BuildSection['args'] {
  const tag = tagOf(n);
  if (tag === 'reset' || n === null || (isScalar(n) && n.value === null)) return tag === 'reset' ? { tag, line, entries: {} } : null;
  const out: Record<string, Located<string | null>> = {};
  const NAME = /^[^\s=]+$/;
  if (isMap(n)) {
    for (const [k, kn, v] of entries(ctx, n)) {
      if (!NAME.test(k)) throw new ComposeError(`"${k}" is not a build argument name.`, ctx.file, ctx.lineOf(kn), key);
      const s = v === null || (isScalar(v) && v.value === null) ? null : scalarString(ctx, v, `${key}.${k}`);
      out[k] = { value: s, line: ctx.lineOf(v ?? kn), file: ctx.file };
    }
  } else if (isSeq(n)) {
    for (const item of n.items) {
      const it = deref(ctx, item);
      if (!isScalar(it) || typeof it.value !== 'string') {
        throw new ComposeError(`list entries must be NAME=value strings, not ${kindOf(it)}.`, ctx.file, ctx.lineOf(it ?? n), key);
      }
      const raw = it.value;
      const eq = raw.indexOf('=');
      const name = eq < 0 ? raw : raw.slice(0, eq);
      if (!NAME.test(name)) throw new ComposeError(`"${raw}" is not NAME=value.`, ctx.file, ctx.lineOf(it), key);
      out[name] = { value: eq < 0 ? null : interp(ctx, raw.slice(eq + 1), `${key}.${name}`, ctx.lineOf(it)), line: ctx.lineOf(it), file: ctx.file };
    }
  } else {
    throw new ComposeError(`must be a mapping (NAME: value) or a list (- NAME=value), not ${kindOf(n)}.`, ctx.file, ctx.lineOf(n), key);
  }
  return { tag, line, entries: out };
}
