// `stagelens refactor [DOCKERFILE] [--out FILE]` — the multi-stage rewrite, printed or written.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { refactorToMultiStage } from '../core/refactor';
import { EXIT, UserError, flag, parseArgs, type CliIO } from './common';
import { readDockerfile } from './suggest';

export async function run(argv: string[], io: CliIO, _signal: AbortSignal): Promise<number> {
  const args = parseArgs(argv, [], ['out']);
  if (args.positional.length > 1) throw new UserError('refactor takes one Dockerfile path.');
  const { path, text } = readDockerfile(args.positional[0]);
  const r = refactorToMultiStage(text);
  // A file the rewrite cannot read safely (an unterminated heredoc) is bad input, not "no change".
  if (r.refused) throw new UserError(`${path}: ${r.refused}`);
  const report = [
    r.changed ? `Rewrote ${path} (${r.ecosystem}${r.kind !== 'app' ? `, ${r.kind} image` : ''}):` : `${path}: no change (${r.ecosystem}${r.kind !== 'app' ? `, ${r.kind} image` : ''}); the output is the input, byte for byte.`,
    ...r.summary.map((s) => `  - ${s}`),
    ...r.notes.map((n) => `  note: ${n}`),
  ].join('\n');
  const out = flag(args, 'out');
  if (out) {
    const dest = resolve(out);
    try { writeFileSync(dest, r.text); } catch (e) { throw new UserError(`${dest}: cannot write (${(e as NodeJS.ErrnoException).code ?? 'error'}).`); }
    io.out(report + `\nWrote ${dest}.`);
  } else {
    // Byte for byte: no newline added or removed, so an unchanged file prints exactly as it is.
    if (io.raw) io.raw(r.text); else io.out(r.text.replace(/\n$/, ''));
    io.err(report);
  }
  return EXIT.ok;
}
