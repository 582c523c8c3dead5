// Cold per-stage analysis ratio on each Docker engine of the matrix (scripts/engines.mjs): cold
// analysis of the 4-stage busybox file (base → deps +16 MiB RUN → build → final, the matrix
// suite's shape) vs ONE cold build of its last stage by the engine's own client (`docker buildx
// build --load`, which works on every engine here, including Docker 26 on the containerd store
// where a tar-body BuildKit build does not), same engine, same run, alternating which goes first.
// "Cold" = BuildKit cache pruned (POST /build/prune?all=1) and the images of earlier reps removed.
// Starts each engine if it is not running and stops only the ones it started.
// Run: node --import tsx bench/engines.ts [--reps 3] [--no-write] [NAME…]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeStages } from '../src/engine/analyze';
import { cleanUpImages } from '../src/engine/cleanup';
import { connectEngine, type EngineConnection } from '../src/engine/connection';
import { engineFacts, describeFacts, referenceBuilder } from '../test/harness/matrix';

const root = join(__dirname, '..');
const args = process.argv.slice(2);
const argOf = (n: string): string | undefined => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
const REPS = Number(argOf('--reps') ?? 3);
const WRITE = !args.includes('--no-write');
const names = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--reps');
const ENGINES = names.length ? names : ['docker26-overlay2', 'docker26-containerd', 'docker28-containerd'];
const SECTION = '## Cold per-stage analysis on each Docker engine of the matrix';

const DOCKERFILE = [
  'FROM stagelens-fixture/busybox:latest AS base',
  'RUN head -c 8000000 /dev/urandom > /base.bin',
  'FROM base AS deps',
  'RUN head -c 16777216 /dev/urandom > /deps.bin',
  'FROM deps AS build',
  'RUN mkdir /out && head -c 1000000 /dev/urandom > /out/app.bin',
  'FROM base AS final',
  'COPY --from=build /out/app.bin /app.bin',
  'CMD ["sh"]',
  '',
].join('\n');

const engines = join(root, 'scripts', 'engines.mjs');
function startEngine(name: string): { host: string; startedHere: boolean } {
  let running = true;
  try { execFileSync(process.execPath, [engines, 'env', name], { stdio: 'ignore' }); } catch { running = false; }
  const out = execFileSync(process.execPath, [engines, 'start', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const host = /DOCKER_HOST=(\S+)/.exec(out)![1]!;
  execFileSync(process.execPath, [join(root, 'scripts', 'fixtures.mjs'), '--host', host, '--only', 'busybox'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { host, startedHere: !running };
}

async function cold(conn: EngineConnection, dockerfile: string): Promise<void> {
  await cleanUpImages(conn.docker, { dockerfile });
  try { await conn.docker.getImage('stagelens-bench/engines-last:latest').remove({ force: true }); } catch { /* not there */ }
  await new Promise<void>((resolve, reject) => conn.docker.modem.dial(
    { path: '/build/prune?', method: 'POST', options: { all: 'true' }, statusCodes: { 200: true, 500: 'server error' } } as never,
    (err: unknown) => (err ? reject(err as Error) : resolve()),
  ));
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const fmt = (ms: number): string => (ms / 1000).toFixed(2);

async function one(name: string): Promise<string> {
  const load0 = loadavg()[0]!;
  const { host, startedHere } = startEngine(name);
  try {
    const conn = await connectEngine({ explicit: host, timeoutMs: 15_000 });
    const facts = await engineFacts(conn.docker);
    const ref = await referenceBuilder(host, facts);
    const dir = mkdtempSync(join(tmpdir(), 'sl-bench-engines-'));
    const dockerfile = join(dir, 'Dockerfile');
    writeFileSync(dockerfile, DOCKERFILE);
    let how = '';
    const analysis = async (): Promise<number> => {
      const t0 = performance.now();
      const r = await analyzeStages({ dockerfilePath: dockerfile, contextDir: dir, connection: conn, builder: 'auto', network: 'none' });
      const bad = r.stages.find((s) => s.error);
      if (bad) throw new Error(`${name}: analysis: stage ${bad.name}: ${bad.error!.message}`);
      how = `${r.engine.builder}, context ${r.engine.contextTransport ?? 'tar'}`;
      return performance.now() - t0;
    };
    const last = async (): Promise<number> => {
      const t0 = performance.now();
      await ref.build({ dockerfile, context: dir, target: 'final', tag: 'stagelens-bench/engines-last:latest' });
      return performance.now() - t0;
    };
    // One untimed round: first-use costs (frontend, base unpack) hit no measurement.
    await cold(conn, dockerfile); await analysis(); await cold(conn, dockerfile); await last();
    const a: number[] = []; const b: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      for (const o of rep % 2 ? ['last', 'analysis'] : ['analysis', 'last']) {
        await cold(conn, dockerfile);
        if (o === 'analysis') a.push(await analysis()); else b.push(await last());
      }
      process.stderr.write(`${name} rep ${rep + 1}/${REPS}: analysis ${fmt(a.at(-1)!)} s, last-stage build ${fmt(b.at(-1)!)} s\n`);
    }
    await cold(conn, dockerfile);
    const per = a.map((x, i) => x / b[i]!);
    const r = median(a) / median(b);
    return `| ${describeFacts(facts).replace(/^[^:]+: /, `${name}: `)} (${how}) | ${fmt(median(a))} (${a.map(fmt).join(', ')}) | ${fmt(median(b))} (${b.map(fmt).join(', ')}) | **${r.toFixed(2)}×** | ${Math.min(...per).toFixed(2)}–${Math.max(...per).toFixed(2)} | ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} |`;
  } finally {
    if (startedHere) execFileSync(process.execPath, [engines, 'stop', name], { stdio: 'inherit' });
  }
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const name of ENGINES) rows.push(await one(name));
  const section = [
    SECTION,
    '',
    'Cold `analyzeStages` (builder auto) of the matrix suite\'s 4-stage busybox file (base → deps +16 MiB RUN → build →',
    'final, network none) vs one cold build of its last stage by the engine\'s own client (`docker buildx build --load`),',
    `same engine, same run, alternating which goes first; cold = \`POST /build/prune?all=1\` and images removed. ${REPS} reps each.`,
    `Run: \`node --import tsx bench/engines.ts\`. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus()[0]?.model.trim() ?? 'cpu'} × ${cpus().length},`,
    'shared with other engineers\' work (1-min load average at each engine\'s start → end in the last column): single runs',
    'vary a lot, compare the medians and the per-rep ratio range.',
    '',
    '| engine (builder, context transport) | cold analysis, median s (all) | cold last-stage build, median s (all) | ratio of medians | per-rep ratio | load |',
    '|---|---|---|---:|---:|---|',
    ...rows,
    '',
    'The baseline includes the docker CLI\'s own start-up, which the analysis (an in-process API client) does not pay,',
    'so these ratios are not directly comparable with bench/analyze.ts\'s API-to-API ratio on Docker 20.10.',
    '',
  ].join('\n');
  process.stdout.write(`${section}\n`);
  if (WRITE) {
    const file = join(__dirname, 'BENCHMARKS.md');
    let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\n';
    const start = doc.indexOf(SECTION);
    if (start >= 0) {
      const next = doc.indexOf('\n## ', start + 3);
      doc = doc.slice(0, start) + section + (next >= 0 ? `\n${doc.slice(next + 1)}` : '');
    } else doc = doc.replace(/\n*$/, '\n\n') + section;
    writeFileSync(file, doc);
  }
}

main().catch((e: unknown) => { process.stderr.write(`bench/engines: ${e instanceof Error ? e.message : String(e)}\n`); process.exit(1); });
