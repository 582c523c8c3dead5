// `stagelens suggest --format sarif`: the findings as a SARIF 2.1.0 log for code-scanning UIs.
// The artifact URI is the Dockerfile relative to the repository root (or the current folder
// outside git), with forward slashes, as code scanning matches results to files that way.
import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { toSarif, type SarifLog } from '../core/suggest/sarif';
import type { Finding } from '../core/suggest/types';

/** The nearest folder at or above `dir` holding `.git` (a folder, or a file in worktrees and submodules); no git process needed. */
function repoRoot(dir: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return null;
  }
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
