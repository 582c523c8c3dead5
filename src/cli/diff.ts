// `stagelens diff [DOCKERFILE] [--base REV|--base-file FILE] [--json|--markdown]`: what a change
// to the Dockerfile cost, per stage and per line, and which files the final image gained or lost.
import { formatDiffMarkdown, formatDiffText } from '../core/diff';
import { EXIT, UserError, flag, hasFlag, parseArgs, type CliIO } from './common';
import { COMPARE_VALUED, readBase, readDockerfileArg, runCompare } from './compare';

export async function run(argv: string[], io: CliIO, signal: AbortSignal): Promise<number> {
  const p = parseArgs(argv, ['json', 'markdown'], [...COMPARE_VALUED, 'top']);
  if (p.positional.length > 1) throw new UserError('diff takes one Dockerfile path.');
  if (hasFlag(p, 'json') && hasFlag(p, 'markdown')) throw new UserError('Choose one of --json and --markdown.');
  const topRaw = flag(p, 'top') ?? '10';
  if (!/^\d+$/.test(topRaw)) throw new UserError(`--top needs a whole number (0 skips the file list), got "${topRaw}".`);
  const current = readDockerfileArg(p.positional[0], 'diff');
  const base = await readBase(p, current.path, signal);
  const { diff } = await runCompare(p, current, base, io, signal, { topFiles: Number(topRaw), wantLayers: false });
  if (hasFlag(p, 'json')) io.out(JSON.stringify(diff, null, 2));
  else if (hasFlag(p, 'markdown')) io.out(formatDiffMarkdown(diff));
  else io.out(formatDiffText(diff));
  const failed = diff.stages.some((s) => (s.after && s.after.error) || (s.before && s.before.error));
  return failed ? EXIT.failed : EXIT.ok;
}
