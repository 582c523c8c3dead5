// Compose variable interpolation (compose-spec "Interpolation"): `$VAR`, `${VAR}`, `${VAR:-d}`,
// `${VAR-d}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`, `${VAR+alt}`, nesting inside the word
// (`${A:-${B:-x}}`) and `$$` for a literal dollar. Pure: the caller passes the variables.

export type Variables = Readonly<Record<string, string | undefined>>;

/** A `${VAR:?err}` that fired, or a `$` Compose itself refuses (the message is the user's fix). */
export class InterpolationError extends Error {
  constructor(message: string, readonly variable: string | null) { super(message); this.name = 'InterpolationError'; }
}

export interface Interpolated {
  value: string;
  /** Variables that were unset and had no default: Compose warns and substitutes "". */
  unset: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolate(text: string, vars: Variables): Interpolated {
  const unset: string[] = [];
  const value = expand(text, vars, unset);
  return { value, unset: [...new Set(unset)] };
}

function expand(text: string, vars: Variables, unset: string[]): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '$') { out += c; i++; continue; }
    const next = text[i + 1];
    if (next === '$') { out += '$'; i += 2; continue; }
    if (next === '{') {
      const close = matchingBrace(text, i + 1);
      if (close < 0) throw new InterpolationError(`"${text}" has a "\${" without its closing "}" (write "$$" for a literal "$").`, null);
      out += braced(text.slice(i + 2, close), vars, unset, text);
      i = close + 1;
      continue;
    }
    const m = NAME.exec(text.slice(i + 1));
    if (!m) throw new InterpolationError(`"${text}" has a "$" that starts no variable: write "$$" for a literal "$".`, null);
    const v = vars[m[0]];
    if (v === undefined) unset.push(m[0]);
    out += v ?? '';
    i += 1 + m[0].length;
  }
  return out;
}

/** Index of the `}` closing the `{` at `open`, counting nested `${…}`; -1 when unclosed. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    if (text[j] === '$' && text[j + 1] === '$') { j++; continue; }
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

function braced(body: string, vars: Variables, unset: string[], whole: string): string {
  const m = NAME.exec(body);
  if (!m) throw new InterpolationError(`"\${${body}}" in "${whole}" does not start with a variable name.`, null);
  const name = m[0];
  const rest = body.slice(name.length);
  const v = vars[name];
  if (rest === '') { if (v === undefined) unset.push(name); return v ?? ''; }
  const op = /^(:?[-?+])/.exec(rest);
  if (!op) throw new InterpolationError(`"\${${body}}" in "${whole}" uses a form Compose does not support (only :- - :? ? :+ +).`, name);
  const colon = op[1]!.startsWith(':');
  const kind = op[1]!.slice(-1);
  const word = rest.slice(op[1]!.length);
  // With a colon an empty value counts as unset (shell semantics the spec adopts).
  const missing = v === undefined || (colon && v === '');
  switch (kind) {
    case '-': return missing ? expand(word, vars, unset) : v!;
    case '+': return missing ? '' : expand(word, vars, unset);
    default: {
      if (!missing) return v!;
      const why = expand(word, vars, unset);
      throw new InterpolationError(`required variable ${name} is ${v === undefined ? 'unset' : 'empty'}${why ? `: ${why}` : ''}. Set it in the environment or in .env.`, name);
    }
  }
}
