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
 * Replaces every occurrence of a secret value inside free text (build logs, `createdBy`
 * strings, error messages), and `NAME=value` pairs whose name looks secret.
 */
export function maskSecretsInText(text: string, args: Record<string, string> = {}): string {
  let out = text;
  for (const [k, v] of Object.entries(args)) {
    if (isSecretName(k) && v && v.length >= 3) out = out.split(v).join(MASK);
  }
  return out.replace(/\b([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s"']+)/g, (whole, name: string) =>
    isSecretName(name) ? `${name}=${MASK}` : whole);
}
