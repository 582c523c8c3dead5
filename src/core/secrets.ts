// Build args and environment values whose names look secret must never reach the output
// channel, the report or the webview in clear (issue 6). One rule, used everywhere.

const SECRET_NAME = /(TOKEN|PASSWORD|PASSWD|SECRET|KEY|CREDENTIAL|AUTH)/i;
export const MASK = '••••••';

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Copy of `args` with secret-looking values replaced by a mask. */
export function maskSecretArgs(args: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(args)) out[k] = isSecretName(k) && v ? MASK : v;
  return out;
}

/**
 * A function that replaces every secret-looking value of `args` in a text, also in its
 * JSON-escaped form (JSON output carries `"` and `\\` escaped). The one masker: the CLI, the
 * report and the editor all mask through it, with the one MASK.
 */
export function secretMasker(args: Record<string, string>): (text: string) => string {
  const values = Object.entries(args).filter(([k, v]) => isSecretName(k) && v.length >= 3).map(([, v]) => v);
  const forms = [...new Set(values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]))].sort((a, b) => b.length - a.length);
  if (!forms.length) return (s) => s;
  const re = new RegExp(forms.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (s) => s.replace(re, MASK);
}

/**
 * Replaces every occurrence of a secret value inside free text (build logs, `createdBy`
 * strings, error messages), and `NAME=value` pairs whose name looks secret.
 */
export function maskSecretsInText(text: string, args: Record<string, string> = {}): string {
  return secretMasker(args)(text).replace(/\b([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s"']+)/g, (whole, name: string) =>
    isSecretName(name) ? `${name}=${MASK}` : whole);
}

/**
 * Values of secret-looking ARG defaults and ENV variables a Dockerfile sets itself: they reach
 * history (`ENV DB_PASSWORD=…`) and build logs just like build args do.
 */
export function secretValuesInDockerfile(instructions: readonly { keyword: string; args: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ins of instructions) {
    if (ins.keyword !== 'ENV' && ins.keyword !== 'ARG') continue;
    const legacy = ins.keyword === 'ENV' ? /^([A-Za-z_]\w*)\s+([^=\s].*)$/s.exec(ins.args.trim()) : null;
    if (legacy && !legacy[1]!.includes('=')) { if (isSecretName(legacy[1]!)) out[legacy[1]!] = legacy[2]!.trim(); continue; }
    for (const m of ins.args.matchAll(/([A-Za-z_]\w*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
      const v = m[2]!.replace(/^(["'])(.*)\1$/s, '$2');
      if (isSecretName(m[1]!) && v) out[m[1]!] = v;
    }
  }
  return out;
}

/** A deep copy of a JSON-like value with every string passed through maskSecretsInText. */
export function maskSecretsDeep<T>(value: T, args: Record<string, string> = {}): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return maskSecretsInText(v, args);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x);
      return o;
    }
    return v;
  };
  return walk(value) as T;
}
