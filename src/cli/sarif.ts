// `stagelens suggest --format sarif`: the findings as a SARIF 2.1.0 log for code-scanning UIs.
// The artifact URI is the Dockerfile relative to the repository root (or the current folder
// outside git), with forward slashes, as code scanning matches results to files that way.
import { execFileSync } from 'node:child_process';
import { dirname, relative, sep } from 'node:path';
import { toSarif, type SarifLog } from '../core/sarif';
import type { Finding } from '../core/suggest/types';

function repoRoot(dir: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() || null;
  } catch { return null; }
}

export function sarifFor(findings: readonly Finding[], dockerfile: string): SarifLog {
  const root = repoRoot(dirname(dockerfile)) ?? process.cwd();
  let rel = relative(root, dockerfile);
  if (rel.startsWith('..')) rel = dockerfile;
  const uri = rel.split(sep).map(encodeURIComponent).join('/');
  return toSarif(findings, {
    artifactUri: rel === dockerfile ? `file://${uri}` : uri,
    uriBaseId: rel === dockerfile ? undefined : '%SRCROOT%',
    toolVersion: String(process.env.STAGELENS_VERSION ?? '0.1.0'),
  });
}
