// Path patterns with the semantics of moby/patternmatcher, the matcher BuildKit (through
// tonistiigi/fsutil) applies to the include/exclude patterns the daemon sends for a local
// source, and that `.dockerignore` means. @balena/dockerignore (used for the tar body) follows
// Docker 19.03's matcher, which checks one parent directory only and treats `**foo` as a
// regexp; fsutil keeps a per-pattern "parent matched" record while walking. The session must
// send exactly what BuildKit would receive from buildx, so this file mirrors the newer rules.

/** Go's filepath.Clean for slash-separated paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const s = out.join('/');
  return rooted ? `/${s}` : s || '.';
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** Characters that need a backslash in a JS regexp with the `u` flag (Go escapes more freely). */
const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);
/** Escaped like Go's regexp.QuoteMeta subset patternmatcher uses: no meaning in filepath.Match. */
const GO_ESCAPE = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

export class Pattern {
  readonly exclusion: boolean;
  /** The pattern after filepath.Clean, without its `!`. */
  readonly cleaned: string;
  private type: MatchType | null = null;
  private re: RegExp | null = null;

  constructor(cleaned: string, exclusion: boolean) {
    this.cleaned = cleaned;
    this.exclusion = exclusion;
  }

  toString(): string { return this.cleaned; }

  /** Throws on a pattern Go would reject (an unterminated `[`, a bad escape). */
  compile(): void {
    if (this.type) return;
    const chars = [...this.cleaned];
    let re = '^';
    let type: MatchType = 'exact';
    let inClass = false;
    for (let i = 0, step = 0; i < chars.length; i++, step++) {
      const ch = chars[i]!;
      if (ch === '*') {
        if (chars[i + 1] === '*') {
          i++;
          // `**/` is `**`: the slash is part of it.
          if (chars[i + 1] === '/') i++;
          if (i + 1 >= chars.length) {
            // `**` at the end matches everything below, as in .gitignore.
            if (type === 'exact') type = 'prefix';
            else { re += '.*'; type = 'regexp'; }
          } else {
            re += '(.*/)?';
            type = 'regexp';
          }
          if (step === 0) type = 'suffix';
        } else {
          re += '[^/]*';
          type = 'regexp';
        }
      } else if (ch === '?') {
        re += '[^/]';
        type = 'regexp';
      } else if (GO_ESCAPE.has(ch)) {
        re += `\\${ch}`;
      } else if (ch === '\\') {
        if (i + 1 < chars.length) {
          const next = chars[++i]!;
          // Go accepts `\` before any punctuation; JS (u flag) only before syntax characters.
          re += /[A-Za-z0-9]/.test(next) || JS_SYNTAX.has(next) ? `\\${next}` : `\\u{${next.codePointAt(0)!.toString(16)}}`;
          type = 'regexp';
        } else {
          re += '\\\\';
        }
      } else if (ch === '[') {
        re += inClass ? '\\[' : '[';
        inClass = true;
        type = 'regexp';
      } else if (ch === ']') {
        re += inClass ? ']' : '\\]';
        inClass = false;
        type = 'regexp';
      } else {
        // `^` stays an anchor, as in Go (a pattern holding one never matches).
        re += ch;
      }
    }
    if (inClass) throw new Error(`syntax error in pattern "${this.cleaned}"`);
    if (type === 'regexp') {
      try { this.re = new RegExp(`${re}$`, 'u'); } catch { throw new Error(`syntax error in pattern "${this.cleaned}"`); }
    }
    this.type = type;
  }

  match(path: string): boolean {
    this.compile();
    switch (this.type) {
      case 'exact': return path === this.cleaned;
      case 'prefix': return path.startsWith(this.cleaned.slice(0, -2));
      case 'suffix': {
        const suffix = this.cleaned.slice(2);
        if (path.endsWith(suffix)) return true;
        // `**/foo` matches `foo`.
        return suffix.startsWith('/') && path === suffix.slice(1);
      }
      default: return this.re!.test(path);
    }
  }

  /** The pattern without a trailing `/**` or `/*`, for fsutil's "can anything below match" check. */
  withoutTrailingGlob(): string {
    let s = this.cleaned;
    if (s.endsWith('/**')) s = s.slice(0, -3);
    if (s.endsWith('/*')) s = s.slice(0, -2);
    return s;
  }
}

/** Per-pattern record of whether a directory (or one of its parents) matched; passed to its children. */
export interface MatchInfo { parentMatched: boolean[] }

export class PatternMatcher {
  readonly patterns: Pattern[] = [];
  readonly exclusions: boolean = false;

  /** Throws on an invalid pattern, like patternmatcher.New. */
  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      let p = raw.trim();
      if (!p) continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
        this.exclusions = true;
      }
      const pat = new Pattern(p, exclusion);
      pat.compile();
      this.patterns.push(pat);
    }
  }

  /** Whether `file` or one of its parent directories matches (what `docker build`'s tar uses). */
  matchesOrParentMatches(file: string): boolean {
    let matched = false;
    const parents = parentPrefixes(file);
    for (const pat of this.patterns) {
      if (pat.exclusion !== matched) continue;
      let m = pat.match(file);
      if (!m) m = parents.some((p) => pat.match(p));
      if (m) matched = !pat.exclusion;
    }
    return matched;
  }

  /**
   * The walking variant fsutil uses: the parent directory's per-pattern results stand in for
   * checking every parent again. Without parent info it behaves like matchesOrParentMatches.
   */
  matchesUsingParentResults(file: string, parent: MatchInfo | null): { matched: boolean; info: MatchInfo } {
    const parentMatched = parent?.parentMatched ?? [];
    const info: MatchInfo = { parentMatched: new Array<boolean>(this.patterns.length).fill(false) };
    let matched = false;
    this.patterns.forEach((pat, i) => {
      let m = parentMatched.length ? parentMatched[i]! : false;
      if (!m) {
        if (pat.exclusion !== matched) return;
        m = pat.match(file);
        if (!m && parentMatched.length === 0) m = parentPrefixes(file).some((p) => pat.match(p));
      }
      info.parentMatched[i] = m;
      if (m) matched = !pat.exclusion;
    });
    return { matched, info };
  }
}

/** `a/b/c` → [`a`, `a/b`]. */
function parentPrefixes(file: string): string[] {
  const parts = file.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** Reads .dockerignore text like moby/patternmatcher's ignorefile.ReadAll (BOM, comments, Clean, leading `/`). */
export function parseIgnoreFile(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let p = line.trim();
    if (!p) continue;
    const invert = p.startsWith('!');
    if (invert) p = p.slice(1).trim();
    if (p) {
      p = cleanPath(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    out.push(invert ? `!${p}` : p);
  }
  return out;
}

/** Go's filepath.Match for one path element (followpaths may hold wildcards). */
export function globMatch(pattern: string, name: string): boolean {
  const cs = [...pattern];
  const lit = (c: string): string => `\\u{${c.codePointAt(0)!.toString(16)}}`;
  let re = '^';
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < cs.length) re += lit(cs[++i]!);
    else if (c === '[') {
      const j = cs.indexOf(']', i + 1);
      if (j < 0) return false;
      const body = cs.slice(i + 1, j);
      const neg = body[0] === '^';
      re += `[${neg ? '^' : ''}${body.slice(neg ? 1 : 0).map((x) => (x === '-' ? '-' : lit(x))).join('')}]`;
      i = j;
    } else re += lit(c);
  }
  try { return new RegExp(`${re}$`, 'u').test(name); } catch { return false; }
}

/** fsutil's containsWildcards: `*`, `?` or `[` not escaped by `\`. */
export function containsWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

/** fsutil's dedupePaths: drops paths below an earlier one; `.` anywhere means "no filter" (null). */
export function dedupePaths(paths: readonly string[]): string[] | null {
  const out: string[] = [];
  let last = '';
  for (const s of paths) {
    if (s === '.') return null;
    if (s.startsWith(`${last}/`)) continue;
    out.push(s);
    last = s;
  }
  return out;
}
