// `stagelens analyze`: builds every stage through the engine and prints a size table (or the
// AnalysisReport with --json). Progress goes to stderr: a line per finished step on a terminal,
// a line per stage otherwise. Values of secret-looking build args never reach the output.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { engineLabel, formatBytes, formatDuration, formatSizeWithPull, finalStage, type AnalysisReport, type StageReport } from '../core/report';
import { parseDockerfile } from '../core/dockerfile/parse';
import { isSecretName, MASK, secretMasker } from '../core/secrets';
import { analyzeStages, type ProgressEvent } from '../engine/analyze';
import { connectEngine } from '../engine/connection';
import { EXIT, UserError, flag, hasFlag, parseArgs, type CliIO } from './common';

function parseBuildArgs(values: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const k = eq < 0 ? v : v.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new UserError(`--build-arg "${isSecretName(k) ? k : v}" is not NAME=value.`);
    // Like `docker build --build-arg NAME`: the value comes from the environment.
    if (eq < 0) { if (env[k] !== undefined) out[k] = env[k]!; } else out[k] = v.slice(eq + 1);
  }
  return out;
}


function stageTitle(s: Pick<StageReport, 'name' | 'index'>): string { return s.name ? `${s.name} (#${s.index})` : `#${s.index}`; }

export function formatTable(report: AnalysisReport): string {
  const rows = report.stages.map((s) => {
    const own = s.layers.filter((l) => !l.fromBase && !l.buildLabel);
    const base = s.baseStage !== null ? `stage ${report.stages.find((x) => x.index === s.baseStage)?.name ?? s.baseStage}` : s.baseImage;
    return {
      stage: `${stageTitle(s)}${s.final ? ' *' : ''}`,
      base,
      size: s.error ? '—' : formatBytes(s.sizeBytes),
      added: s.error ? '—' : `${(s.addedBytes ?? 0) >= 0 ? '+' : ''}${formatBytes(s.addedBytes)}`,
      pull: s.error || typeof s.pullSizeBytes !== 'number' ? '—' : formatBytes(s.pullSizeBytes),
      layers: s.error ? '—' : `${own.filter((l) => !l.empty).length}/${s.layers.filter((l) => !l.buildLabel).length}`,
      time: formatDuration(s.buildMs),
    };
  });
  const head = { stage: 'STAGE', base: 'BASE', size: 'SIZE', added: 'ADDED', pull: 'PULL', layers: 'LAYERS', time: 'TIME' };
  // The pull (compressed) size only where the engine knows one: the containerd image store.
  const showPull = report.stages.some((s) => !s.error && typeof s.pullSizeBytes === 'number');
  const all = [head, ...rows];
  const w = (k: keyof typeof head): number => Math.max(...all.map((r) => r[k].length));
  const lines = all.map((r) => [
    r.stage.padEnd(w('stage')), r.base.padEnd(w('base')), r.size.padStart(w('size')), r.added.padStart(w('added')),
    ...(showPull ? [r.pull.padStart(w('pull'))] : []), r.layers.padStart(w('layers')), r.time.padStart(w('time')),
  ].join('  ').trimEnd());
  const out = [...lines];
  for (const s of report.stages) {
    if (s.error) out.push(`  ${stageTitle(s)}: ${s.error.line ? `line ${s.error.line}: ` : ''}${s.error.message.split('\n').slice(0, 3).join(' ')}`);
  }
  const fin = finalStage(report);
  out.push('');
  if (fin && !fin.error) out.push(`Final image: ${fin.tag ?? fin.imageId} — stage ${stageTitle(fin)}, ${formatSizeWithPull(fin.sizeBytes, fin.pullSizeBytes)}`);
  else if (fin) out.push(`Final image: not built (stage ${stageTitle(fin)} failed)`);
  out.push(`Layers: non-empty own layers / all layers; * marks the final stage.${showPull ? ' Sizes are unpacked; PULL is the compressed download.' : ''}`);
  const e = report.engine;
  out.push(`Engine: ${e.endpoint} (${e.endpointSource ?? 'unknown source'}), ${engineLabel(e)}, API ${e.apiVersion}`);
  if (report.contextBytes !== undefined) out.push(`Context: ${formatBytes(report.contextBytes)} sent · total ${formatDuration(report.durationMs)}`);
  if (report.cancelled) out.push('Cancelled before every stage was built.');
  return out.join('\n');
}

/**
 * `✓ deps: 1.2 MB in 3.4 s` / `✗ deps: line 4: …` — named, because with BuildKit stages finish
 * in another order than they start (the last stage starts first).
 */
export function stageFinishLine(e: Extract<ProgressEvent, { type: 'stage-finish' }>): string {
  const what = e.error
    ? `${e.error.line ? `line ${e.error.line}: ` : ''}${e.error.message.split('\n')[0]}`
    : `${formatBytes(e.sizeBytes)} in ${formatDuration(e.buildMs)}${e.reused ? ' (reused)' : ''}`;
  return `${e.error ? '✗' : '✓'} ${e.name ?? `#${e.stage}`}: ${what}`;
}

function progressPrinter(io: CliIO, tty: boolean, mask: (s: string) => string): (e: ProgressEvent) => void {
  const reported = new Set<string>();
  return (e) => {
    switch (e.type) {
      case 'stage-start':
        io.err(mask(`▸ stage ${e.name ?? e.stage} (${e.position}/${e.count}, ${e.builder})`));
        break;
      case 'vertex':
        if (!tty || !e.completed || reported.has(e.id) || e.line === null) return;
        reported.add(e.id);
        io.err(mask(`  ${e.cached ? 'CACHED' : formatDuration(e.completed - (e.started ?? e.completed)).padStart(6)}  line ${e.line}  ${e.name.replace(/^\[[^\]]*\]\s*/, '').slice(0, 100)}${e.error ? `  ERROR: ${e.error}` : ''}`));
        break;
      case 'classic':
        if (tty && /^Step \d+\/\d+ :/.test(e.text)) io.err(mask(`  ${e.text.slice(0, 110)}`));
        break;
      case 'stage-finish':
        io.err(mask(`  ${stageFinishLine(e)}`));
        break;
      default:
        break;
    }
  };
}

export async function run(argv: string[], io: CliIO, signal: AbortSignal): Promise<number> {
  // A compose project has its own options and output (src/cli/compose.ts).
  if (argv.some((a) => a === '--compose' || a.startsWith('--compose='))) return (await import('./compose')).runCompose(argv, io, signal);
  const p = parseArgs(argv, ['json', 'help'], ['context', 'target', 'build-arg', 'builder', 'network', 'host', 'timeout']);
  if (hasFlag(p, 'help')) {
    io.out('Usage: stagelens analyze [DOCKERFILE] [--context DIR] [--target NAME] [--build-arg K=V]... [--json]\n'
      + '                         [--builder auto|buildkit|classic] [--network MODE] [--host ENDPOINT]\n'
      + 'DOCKERFILE defaults to ./Dockerfile, DIR to the Dockerfile\'s folder.');
    return EXIT.ok;
  }
  if (p.positional.length > 1) throw new UserError('analyze takes one Dockerfile path.');
  const dockerfile = resolve(p.positional[0] ?? 'Dockerfile');
  if (!existsSync(dockerfile)) throw new UserError(`${relative(process.cwd(), dockerfile) || dockerfile}: no such file. Pass the Dockerfile path: stagelens analyze path/to/Dockerfile`);
  if (statSync(dockerfile).isDirectory()) throw new UserError(`${dockerfile} is a folder; pass the Dockerfile inside it.`);
  // Bad input is exit 2 before any engine is contacted (reliability suite: a binary or
  // FROM-less file used to end as "engine unreachable" when no engine was up).
  const parsed = parseDockerfile(readFileSync(dockerfile, 'utf8'));
  if (parsed.stages.length === 0) {
    const why = parsed.problems.find((q) => q.line === null || /KB long/.test(q.message))?.message ?? 'No FROM instruction.';
    throw new UserError(`${relative(process.cwd(), dockerfile) || dockerfile} is not a Dockerfile Stage Lens can build: ${why}`);
  }
  const context = resolve(flag(p, 'context') ?? dirname(dockerfile));
  const builder = flag(p, 'builder') ?? 'auto';
  if (builder !== 'auto' && builder !== 'buildkit' && builder !== 'classic') throw new UserError(`--builder must be auto, buildkit or classic, not "${builder}".`);
  const buildArgs = parseBuildArgs(p.flags.get('build-arg') ?? [], process.env);
  const mask = secretMasker(buildArgs);
  const timeoutMs = flag(p, 'timeout') ? Number(flag(p, 'timeout')) * 1000 : undefined;
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new UserError('--timeout takes seconds, e.g. --timeout 5.');
  const json = hasFlag(p, 'json');

  // Engine and input errors map to exit codes in one place (common.ts exitCodeFor).
  const connection = await connectEngine({ explicit: flag(p, 'host'), timeoutMs, signal });
  const tty = !!process.stderr.isTTY;
  if (!json || tty) io.err(`Analyzing ${relative(process.cwd(), dockerfile) || dockerfile} on ${connection.endpoint} (${connection.source})`);
  const shownArgs = Object.entries(buildArgs).map(([k, v]) => `${k}=${isSecretName(k) ? MASK : v}`);
  if (shownArgs.length) io.err(`Build args: ${shownArgs.join(' ')}`);

  const report: AnalysisReport = await analyzeStages({
    dockerfilePath: dockerfile, contextDir: context, target: flag(p, 'target'), buildArgs,
    builder, network: flag(p, 'network'), connection, signal, onProgress: progressPrinter(io, tty, mask),
  });
  if (json) io.out(mask(JSON.stringify(report, null, 2)));
  else io.out(mask(formatTable(report)));
  if (report.cancelled) { io.err('stagelens: cancelled.'); return EXIT.failed; }
  return report.stages.some((s) => s.error) ? EXIT.failed : EXIT.ok;
}
