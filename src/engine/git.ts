// The Dockerfile as it was at a git revision, for `stagelens diff`/`check` and Compare with HEAD.
// Not Docker, but host-side I/O like the rest of src/engine, and shared by the CLI and the
// extension. git runs through execFile with an argument array: no shell ever sees the revision
// or the path.
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { basename, dirname, relative, sep } from 'node:path';

export class GitBaseError extends Error {
  constructor(message: string, readonly reason: 'no-git' | 'not-a-repo' | 'bad-revision' | 'not-in-revision') {
    super(message);
    this.name = 'GitBaseError';
  }
}

function git(args: string[], cwd: string, signal?: AbortSignal): Promise<{ code: number; stdout: string; stderr: string; missing?: boolean }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 20_000, signal, windowsHide: true }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && e.code === 'ENOENT') { resolve({ code: -1, stdout: '', stderr: '', missing: true }); return; }
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The file's text at `rev` (default HEAD). Throws GitBaseError with a message that says what to do. */
export async function readAtRevision(given: string, rev = 'HEAD', signal?: AbortSignal): Promise<{ text: string; path: string; commit: string }> {
  // git prints the top level with symlinks resolved; the file's path must be resolved the same way.
  let file = given;
  try { file = realpathSync(given); } catch { /* a deleted file can still exist in the revision */ }
  const dir = dirname(file);
  if (rev.startsWith('-')) throw new GitBaseError(`"${rev}" is not a revision.`, 'bad-revision');
  const top = await git(['rev-parse', '--show-toplevel'], dir, signal);
  if (top.missing) throw new GitBaseError('git is not installed, so there is no revision to compare with. Install git, or compare with a file: --base-file FILE.', 'no-git');
  if (top.code !== 0) throw new GitBaseError(`${dir} is not in a git repository. Compare with a file instead: --base-file FILE.`, 'not-a-repo');
  const commit = await git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], dir, signal);
  if (commit.code !== 0) {
    throw new GitBaseError(rev === 'HEAD' ? 'The repository has no commit yet, so there is no HEAD to compare with. Commit the Dockerfile first, or use --base-file FILE.'
      : `"${rev}" is not a commit in this repository (git rev-parse found nothing).`, 'bad-revision');
  }
  // A path relative to the top level, with forward slashes, is what `rev:path` takes.
  const rel = relative(top.stdout.trim(), file).split(sep).join('/');
  const sha = commit.stdout.trim();
  const shown = await git(['show', `${sha}:${rel}`], dir, signal);
  if (shown.code !== 0) {
    throw new GitBaseError(`${basename(file)} is not in ${rev} (${sha.slice(0, 8)}): a new file has nothing to compare with. Commit it first, or use --base-file FILE.`, 'not-in-revision');
  }
  return { text: shown.stdout, path: rel, commit: sha };
}
