// `stagelens analyze --compose [FILE]... [--service NAME]...`: every service's image, stage by
// stage. Compose files merge in the order given (like `docker compose -f a -f b`); without a file
// the default names in the current folder are used. Each distinct build (Dockerfile, context,
// target, args, network) is analysed once; every service gets the single-file table, then one
// summary table compares the services' final images.
import { relative } from 'node:path';
import { formatBytes, formatDuration } from '../core/report';
import { ComposeError, selectServices, summarizeService, type ComposeReport } from '../core/compose';
import { isSecretName } from '../core/secrets';
import { AnalysisInputError } from '../engine/analyze';
import { analyzeComposeServices, checkServiceBuild, loadComposeProject } from '../engine/compose';
import { connectEngine, EndpointConfigError, EngineUnreachableError } from '../engine/connection';
import { secretMasker } from '../core/secrets';
import { formatTable, stageFinishLine } from './analyze';
import { EXIT, UserError, flag, hasFlag, parseArgs, type CliIO } from './common';

const COMPOSE_USAGE = 'Usage: stagelens analyze --compose [FILE] [--compose FILE]... [--service NAME]... [--json]\n'
  + '                         [--builder auto|buildkit|classic] [--network MODE] [--host ENDPOINT]\n'
  + 'FILE defaults to compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml (plus its .override file)\n'
  + 'in the current folder; several --compose (or -f) files merge in order. --network applies to services without build.network.';

/** `--compose` takes an optional value: the next word is its file unless it is another option. */
function normalizeArgv(argv: string[]): { rest: string[]; files: string[] } {
  const rest: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--compose' || a === '-f') {
      const v = argv[i + 1];
      if (v !== undefined && !v.startsWith('-')) { files.push(v); i++; } else if (a === '-f') throw new UserError('-f needs a compose file.');
    } else if (a.startsWith('--compose=')) {
      const v = a.slice('--compose='.length);
      if (!v) throw new UserError('--compose= needs a file; use --compose alone for the default file.');
      files.push(v);
    } else rest.push(a);
  }
  return { rest, files };
}

const rel = (p: string): string => relative(process.cwd(), p) || p;

function formatComposeSummary(report: ComposeReport): string {
  const sums = report.services.map((s) => ({ s, sum: summarizeService(report, s) }));
  const showPull = sums.some(({ sum }) => sum.pullBytes !== null);
  const head = { service: 'SERVICE', dockerfile: 'DOCKERFILE', target: 'TARGET', final: 'FINAL STAGE', size: 'SIZE', pull: 'PULL', stages: 'STAGES', time: 'TIME' };
  const rows = sums.map(({ s, sum }) => ({
    service: s.service,
    dockerfile: s.dockerfileInline ? '(dockerfile_inline)' : relative(s.context, s.dockerfile) || s.dockerfile,
    target: s.target ?? '—',
    final: sum.finalStage ? (sum.finalStage.name ?? `#${sum.finalStage.index}`) : '—',
    size: s.error ? 'error' : sum.finalStage?.error ? 'failed' : formatBytes(sum.sizeBytes),
    pull: sum.pullBytes !== null ? formatBytes(sum.pullBytes) : '—',
    stages: String(sum.stages),
    time: formatDuration(sum.buildMs),
  }));
  const cols = (Object.keys(head) as (keyof typeof head)[]).filter((k) => showPull || k !== 'pull');
  const all = [head, ...rows];
  const right = new Set(['size', 'pull', 'stages', 'time']);
  const w = (k: keyof typeof head): number => Math.max(...all.map((r) => r[k].length));
  const out = all.map((r) => cols.map((k) => (right.has(k) ? r[k].padStart(w(k)) : r[k].padEnd(w(k)))).join('  ').trimEnd());
  for (const s of report.services) {
    if (s.error) out.push(`  ${s.service}: ${s.error}`);
    else if (s.sharedWith.length) out.push(`  ${s.service}: same build as ${s.sharedWith.join(', ')} (analysed once)`);
  }
  if (report.imageOnly.length) out.push(`Not built (image only): ${report.imageOnly.join(', ')}`);
  out.push(`Sizes are unpacked image sizes${showPull ? '; PULL is the compressed size a pull downloads' : ''}. Total ${formatDuration(report.durationMs)}.`);
  return out.join('\n');
}

export async function runCompose(argv: string[], io: CliIO, signal: AbortSignal): Promise<number> {
  const { rest, files } = normalizeArgv(argv);
  const p = parseArgs(rest, ['json', 'help'], ['service', 'builder', 'network', 'host', 'timeout']);
  if (hasFlag(p, 'help')) { io.out(COMPOSE_USAGE); return EXIT.ok; }
  if (p.positional.length) throw new UserError(`--compose analyses a compose project; "${p.positional[0]}" is not an option. Pass compose files with --compose FILE.`);
  const builder = flag(p, 'builder') ?? 'auto';
  if (builder !== 'auto' && builder !== 'buildkit' && builder !== 'classic') throw new UserError(`--builder must be auto, buildkit or classic, not "${builder}".`);
  const timeoutMs = flag(p, 'timeout') ? Number(flag(p, 'timeout')) * 1000 : undefined;
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new UserError('--timeout takes seconds, e.g. --timeout 5.');
  const json = hasFlag(p, 'json');

  let project, builds;
  try {
    project = loadComposeProject({ files, cwd: process.cwd(), env: process.env });
    builds = selectServices(project, p.flags.get('service') ?? []);
    if (!builds.length) throw new ComposeError(`no service has a build: section${project.imageOnly.length ? ` (${project.imageOnly.map((s) => s.service).join(', ')} only run images)` : ''}; nothing to analyse.`, project.files[0]!, null, 'services');
    // Every service's input is checked before the first build: a typo in the last service must
    // not surface after minutes of building the first.
    for (const b of builds) { const e = checkServiceBuild(b); if (e) throw e; }
  } catch (e) {
    if (e instanceof ComposeError) throw new UserError(`${rel(e.file)}${e.line ? `:${e.line}` : ''}: ${e.key ? `${e.key}: ` : ''}${e.detail}`);
    throw e;
  }
  for (const w of project.warnings) io.err(`warning: ${w}`);
  for (const b of builds) if (b.argsUnset.length) io.err(`warning: ${b.service}: build args ${b.argsUnset.join(', ')} have no value and no variable of that name, so they are not set.`);

  let connection;
  try {
    connection = await connectEngine({ explicit: flag(p, 'host'), timeoutMs, signal });
  } catch (e) {
    if (e instanceof EngineUnreachableError || e instanceof EndpointConfigError) throw new UserError(e.message, EXIT.engine);
    throw e;
  }
  const allArgs = Object.assign({}, ...builds.map((b) => b.args)) as Record<string, string>;
  const mask = secretMasker(allArgs);
  io.err(`Analyzing ${builds.length} service${builds.length === 1 ? '' : 's'} of ${project.files.map(rel).join(' + ')} on ${connection.endpoint} (${connection.source})`);
  let report: ComposeReport;
  try {
    report = await analyzeComposeServices({
      project, builds, connection, builder, defaultNetwork: flag(p, 'network'), signal,
      onJob: (job, pos, count) => {
        const b = job.build;
        const args = Object.entries(b.args).map(([k, v]) => `${k}=${isSecretName(k) ? '***' : v}`).join(' ');
        io.err(mask(`▸ ${job.services.join(', ')} (${pos}/${count}): ${b.dockerfileInline !== null ? 'dockerfile_inline' : rel(b.dockerfile)}${b.target ? ` target ${b.target}` : ''}${args ? ` args ${args}` : ''}`));
      },
      onProgress: (_job, e) => {
        if (e.type === 'stage-start') io.err(mask(`  stage ${e.name ?? e.stage} (${e.position}/${e.count})`));
        else if (e.type === 'stage-finish') io.err(mask(`    ${stageFinishLine(e)}`));
      },
    });
  } catch (e) {
    if (e instanceof AnalysisInputError) throw new UserError(e.message, EXIT.usage);
    throw e;
  }
  if (json) {
    io.out(mask(JSON.stringify(report, null, 2)));
  } else {
    const parts: string[] = [];
    for (const s of report.services) {
      const a = s.analysis !== null ? report.analyses[s.analysis] : undefined;
      const what = `${s.dockerfileInline ? 'dockerfile_inline' : rel(s.dockerfile)}${s.target ? `, target ${s.target}` : ''}, context ${rel(s.context)}${s.network ? `, network ${s.network}` : ''}`;
      parts.push(`== Service ${s.service} (${what})`);
      parts.push(a ? formatTable(a) : `  not analysed: ${s.error ?? 'unknown error'}`);
      parts.push('');
    }
    parts.push('== Summary: final images');
    parts.push(formatComposeSummary(report));
    io.out(mask(parts.join('\n')));
  }
  if (report.cancelled) { io.err('stagelens: cancelled.'); return EXIT.failed; }
  return report.services.some((s) => summarizeService(report, s).failed) ? EXIT.failed : EXIT.ok;
}
