#!/usr/bin/env node
// `stagelens`: analyze | suggest | refactor | layers | diff | check. Every failure ends as one or two plain
// lines on stderr and an exit code from the contract in DESIGN.md — never a stack trace.
import { EXIT, UserError, exitCodeFor, processIO, type CommandRunner } from './common';

const USAGE = `Usage: stagelens <command> [options]

Commands:
  analyze [DOCKERFILE] [--context DIR] [--target NAME] [--build-arg K=V]... [--json]
          [--builder auto|buildkit|classic] [--network MODE] [--host ENDPOINT]
                                   build every stage and print per-stage sizes
  analyze --compose [FILE]... [--service NAME]... [--json] [--host ENDPOINT]
                                   every compose service's image, stage by stage
  suggest [DOCKERFILE] [--json | --format text|json|sarif] [--disable RULE]... [--context DIR]
                                   static findings (no engine needed)
  refactor [DOCKERFILE] [--out FILE]
                                   print or write the multi-stage rewrite
  diff [DOCKERFILE] [--base REV | --base-file FILE] [--json | --markdown] [--top N]
                                   build it as it is and as it was (default HEAD): size per
                                   stage and per line before → after, files the image gained/lost
  check [DOCKERFILE] [--base REV | --base-file FILE] [--config FILE] [--json]
                                   size budgets from .stagelens.yml: exit 1, one line per broken one
          (diff and check also take analyze's --context, --target, --build-arg, --builder,
           --network and --host)
  layers IMAGE [--json] [--ci [--ci-config FILE]] [--host ENDPOINT] [--report FILE]
               [--top N] [--changes N]
                                   layer contents: efficiency, wasted bytes, what the image carries

Exit codes: 0 success, 1 analysis failed, 2 bad usage or input, 3 engine unreachable.`;

const commands: Record<string, () => Promise<CommandRunner>> = {
  analyze: async () => (await import('./analyze')).run,
  suggest: async () => (await import('./suggest')).run,
  refactor: async () => (await import('./refactor')).run,
  layers: async () => (await import('./layers')).run,
  diff: async () => (await import('./diff')).run,
  check: async () => (await import('./check')).run,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') { processIO.out(USAGE); return cmd ? EXIT.ok : EXIT.usage; }
  if (cmd === '--version' || cmd === 'version') { processIO.out(String(process.env.STAGELENS_VERSION ?? '0.1.0')); return EXIT.ok; }
  const load = commands[cmd];
  if (!load) { processIO.err(`Unknown command "${cmd}". Commands: ${Object.keys(commands).join(', ')}. Run \`stagelens help\`.`); return EXIT.usage; }
  // Every subcommand answers --help the same way, before any file or engine is touched.
  if (rest.includes('--help') || rest.includes('-h')) { processIO.out(USAGE); return EXIT.ok; }
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Error('Cancelled (Ctrl+C).'));
  process.once('SIGINT', onSigint);
  try {
    return await (await load())(rest, processIO, controller.signal);
  } catch (e) {
    if (e instanceof UserError) { processIO.err(`stagelens: ${e.message}`); return e.exitCode; }
    const msg = e instanceof Error ? e.message : String(e);
    processIO.err(`stagelens: ${msg.split('\n').slice(0, 2).join('\n')}`);
    if (process.env.STAGELENS_DEBUG) processIO.err(String((e as Error)?.stack ?? ''));
    return exitCodeFor(e);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * A reader that stops early (`stagelens suggest | head -1`) closes the pipe; the next write then
 * fails with EPIPE, emitted as an 'error' event that would otherwise crash with a stack trace.
 * Nobody is left to read the rest, so the command ends quietly with success, as a shell tool
 * killed by SIGPIPE would. Installed once for every command, on both output streams.
 */
function exitQuietlyOnClosedPipe(proc: Pick<NodeJS.Process, 'stdout' | 'stderr' | 'exit'> = process): void {
  for (const stream of [proc.stdout, proc.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') proc.exit(EXIT.ok);
      throw e;
    });
  }
}

if (require.main === module) {
  exitQuietlyOnClosedPipe();
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => { processIO.err(`stagelens: ${String(e)}`); process.exitCode = EXIT.failed; });
}
