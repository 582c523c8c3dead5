// Stage analysis cost on a 4-stage busybox Dockerfile (real work, no network), measured in one
// run as ratios against plain builds through the same Engine API (each plain build sends its
// context the way buildx does: through its own BuildKit session, tar body where there is none):
//   (1) cold per-stage analysis        vs one cold build of the last stage        (target ≤ 1.10×)
//   (2) warm re-analysis, same text (the previous report passed, as the editor does)
//                                      vs one warm build of the last stage        (target ≤ 1.5×);
//       also without the previous report (every stage goes to BuildKit, all cached)
//   (3) re-analysis after a one-line edit in the last stage (previous report passed)
//                                      vs one build of that edited stage          (target ≤ 1.3×)
//   --naive adds the naive way, one build --target per stage (no cache / shared cache).
//   --pprof DIR saves the engine's Go CPU profiles (dockerd from its API socket, containerd from its
//   debug socket) of every cold measurement, for `go tool pprof -top -diff_base …`: where the work goes.
// "Cold" = BuildKit cache pruned (POST /build/prune?all=1) and the images of earlier runs removed.
// By default it runs on a DEDICATED private engine (scripts/engine.mjs with its own dirs), so
// pruning never touches the test engine other work relies on; --host must name a private one too.
// Run: node --import tsx bench/analyze.ts [--reps N] [--host DOCKER_HOST] [--label TEXT] [--section NAME] [--no-write] [--naive] [--profile] [--samples N] [--pprof DIR]
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { analyzeStages } from '../src/engine/analyze';
import type { AnalysisReport } from '../src/core/report';
import { runBuild } from '../src/engine/build';
import { cleanUpImages } from '../src/engine/cleanup';
import { connectEngine, type EngineConnection } from '../src/engine/connection';
import { openContextTransport } from '../src/engine/context';

const root = join(__dirname, '..');
const args = process.argv.slice(2);
const argOf = (n: string): string | undefined => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
const REPS = Number(argOf('--reps') ?? 5);
const WRITE = !args.includes('--no-write');
const NAIVE = args.includes('--naive');
// --profile: print each analysis's timeline (stage starts/finishes, steps that ran) to stderr.
const PROFILE = args.includes('--profile');
const SAMPLES = Number(argOf('--samples') ?? 3);
const PPROF = argOf('--pprof');
const SECTION = argOf('--section') ?? 'Stage analysis';

const DOCKERFILE = `# Four stages, each doing real work; the runtime needs all of them.
FROM stagelens-fixture/busybox:latest AS base
RUN mkdir -p /opt/data && dd if=/dev/urandom of=/opt/data/seed bs=1M count=24 2>/dev/null

FROM base AS deps
RUN for i in $(seq 1 300); do dd if=/opt/data/seed of=/opt/data/part$i bs=4k count=16 skip=$i 2>/dev/null; done

FROM deps AS build
COPY src/ /src/
RUN cd /opt && cat data/part* /src/* | sha256sum > /opt/sum && tar czf /opt/bundle.tgz data /src

FROM stagelens-fixture/busybox:latest AS runtime
COPY --from=build /opt/bundle.tgz /opt/sum /app/
RUN tar tzf /app/bundle.tgz | wc -l > /app/count && cat /app/sum
RUN echo edit-0 > /app/edit
CMD ["cat", "/app/count"]
`;
const STAGES = ['base', 'deps', 'build', 'runtime'];

function context(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sl-bench-analyze-'));
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  mkdirSync(join(dir, 'src'));
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'src', `m${i}.py`), `# module ${i}\n`.repeat(200));
  return dir;
}

function engineHost(): { host: string; startedHere: boolean } {
  const given = argOf('--host') ?? process.env.STAGELENS_BENCH_DOCKER_HOST;
  if (given) return { host: given, startedHere: false };
  const env = { ...process.env, STAGELENS_ENGINE_DIR: '/run/stagelens-bench-analyze', STAGELENS_ENGINE_ROOT: '/var/lib/stagelens-bench-analyze' };
  const script = join(root, 'scripts', 'engine.mjs');
  let running = true;
  try { execFileSync(process.execPath, [script, 'env'], { env, stdio: 'ignore' }); } catch { running = false; }
  const out = execFileSync(process.execPath, [script, 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const host = /DOCKER_HOST=(\S+)/.exec(out)![1]!;
  execFileSync(process.execPath, [join(root, 'scripts', 'fixtures.mjs'), '--host', host, '--only', 'busybox'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { host, startedHere: !running };
}

/**
 * The engine's own processes (dockerd, and containerd when the engine started one): the
 * processes of that name whose command line names the private engine's folder (its socket's directory).
 * Empty for a remote or shared engine; the CPU rows are then left out.
 */
interface EngineProcess { pid: string; name: string; argv: string[] }

function engineProcesses(host: string): EngineProcess[] {
  const sock = /^unix:\/\/(.+)$/.exec(host)?.[1];
  if (!sock) return [];
  const dir = `${dirname(sock)}/`;
  const found: EngineProcess[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      // By name too: a shell or this very process may carry the socket path in its arguments.
      const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (!['dockerd', 'containerd'].includes(name)) continue;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes(dir))) found.push({ pid, name, argv });
    } catch { /* gone */ }
  }
  return found;
}

/**
 * The Go pprof endpoints of the private engine's processes: dockerd serves /debug/pprof on its API
 * socket, the containerd it started on the debug socket its generated config names.
 */
function pprofSockets(host: string, procs: readonly EngineProcess[]): { name: string; socket: string }[] {
  const out: { name: string; socket: string }[] = [];
  for (const p of procs) {
    if (p.name === 'dockerd') { out.push({ name: p.name, socket: host.slice('unix://'.length) }); continue; }
    try {
      const at = p.argv.indexOf('--config');
      const config = at >= 0 ? p.argv[at + 1] : undefined;
      const debug = config ? /\[debug\][^[]*?address\s*=\s*"([^"]+)"/.exec(readFileSync(config, 'utf8'))?.[1] : undefined;
      if (debug) out.push({ name: p.name, socket: debug });
    } catch { /* no readable config */ }
  }
  return out;
}

/** Starts a CPU profile of `seconds` on each endpoint; resolves when all are written to DIR/<name>-<label>.pb. */
function captureProfiles(endpoints: readonly { name: string; socket: string }[], dir: string, label: string, seconds: number): Promise<void> {
  return Promise.all(endpoints.map((e) => new Promise<void>((resolve) => {
    const req = request({ socketPath: e.socket, path: `/debug/pprof/profile?seconds=${seconds}` }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode === 200) writeFileSync(join(dir, `${e.name}-${label}.pb`), Buffer.concat(chunks));
        else process.stderr.write(`--pprof: ${e.name} answered ${res.statusCode} on ${e.socket}\n`);
        resolve();
      });
    });
    req.on('error', (err) => { process.stderr.write(`--pprof: no profile from ${e.name} (${err.message})\n`); resolve(); });
    req.end();
  }))).then(() => undefined);
}

/** CPU seconds (user + system) the given processes have used so far; /proc counts in 1/100 s. */
function cpuSeconds(pids: readonly string[]): number {
  let t = 0;
  for (const p of pids) {
    try { const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' '); t += (Number(f[11]) + Number(f[12])) / 100; } catch { /* gone */ }
  }
  return t;
}

async function cold(conn: EngineConnection, dockerfile: string): Promise<void> {
  const d = conn.docker;
  await cleanUpImages(d, { dockerfile });
  for (const t of ['stagelens-bench/last:latest', ...STAGES.map((s) => `stagelens-bench/naive:${s}`)]) {
    try { await d.getImage(t).remove({ force: true }); } catch { /* not there */ }
  }
  // dockerode's pruneBuilder() sends no options; `all` is what also drops the unused frontend cache.
  await new Promise<void>((resolve, reject) => d.modem.dial(
    { path: '/build/prune?', method: 'POST', options: { all: 'true' }, statusCodes: { 200: true, 500: 'server error' } } as never,
    (err: unknown) => (err ? reject(err as Error) : resolve()),
  ));
}

/** The bench Dockerfile with its one editable line (last stage) changed. */
const edited = (n: number): string => DOCKERFILE.replace('echo edit-0', `echo edit-${n}`);

/** One plain build of `target` of `text`, its context sent as buildx sends it; returns ms and context bytes. */
async function plainBuild(conn: EngineConnection, dir: string, target: string, tag: string, noCache = false, text = DOCKERFILE): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const dockerfilePath = join(dir, 'Dockerfile');
  const transport = await openContextTransport({ docker: conn.docker, builder: 'buildkit', contextDir: dir, dockerfilePath, userText: text, tarDockerfileName: 'Dockerfile' });
  try {
    const ctx = await transport.prepare(text);
    const r = await runBuild({
      docker: conn.docker, context: ctx.context, dockerfileName: ctx.dockerfileName, builder: 'buildkit', target, tag, labels: {}, network: 'none', noCache,
      onVertex: PROFILE ? (v) => { if (v.completed && v.started && !v.cached) process.stderr.write(`  plain ${((performance.now() - t0) / 1000).toFixed(2)}s ${v.name.slice(0, 60)} ${((v.completed - v.started) / 1000).toFixed(2)}s\n`); } : undefined,
    });
    ctx.end();
    if (r.error) throw new Error(`build ${target}: ${r.error}`);
  } finally { transport.close(); }
  return { ms: performance.now() - t0, bytes: transport.contextBytes() ?? 0 };
}

async function analysis(conn: EngineConnection, dir: string, opts: { text?: string; previous?: { report: AnalysisReport; text: string } } = {}): Promise<{ ms: number; report: AnalysisReport }> {
  const t0 = performance.now();
  const timeline: string[] = [];
  const at = (): string => `${((performance.now() - t0) / 1000).toFixed(2)}s`;
  const r = await analyzeStages({
    dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, text: opts.text ?? DOCKERFILE, connection: conn, builder: 'buildkit', network: 'none', previous: opts.previous,
    onProgress: PROFILE ? (e) => {
      if (e.type === 'stage-start' || e.type === 'stage-finish') timeline.push(`${at()} ${e.type} ${STAGES[e.stage]}`);
      else if (e.type === 'vertex' && e.completed && !e.cached && e.started) timeline.push(`${at()}   [${STAGES[e.stage]}] ${e.name.slice(0, 60)} ${((e.completed - e.started) / 1000).toFixed(2)}s`);
    } : undefined,
  });
  if (PROFILE) process.stderr.write(`${timeline.join('\n')}\n  total ${at()}\n`);
  const bad = r.stages.find((s) => s.error);
  if (bad) throw new Error(`analysis: stage ${bad.name}: ${bad.error!.message}`);
  return { ms: performance.now() - t0, report: r };
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const fmt = (ms: number): string => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
  const loadBefore = loadavg()[1]!;
  const { host, startedHere } = engineHost();
  const conn = await connectEngine({ explicit: host, timeoutMs: 15_000 });
  const dir = context();
  const dockerfile = join(dir, 'Dockerfile');
  const m: Record<string, number[]> = { coldAnalysis: [], coldLast: [], naiveNoCache: [], naiveShared: [], warmAnalysis: [], warmAnalysisNoPrev: [], warmLast: [], editAnalysis: [], editLast: [] };
  const bytes: Record<string, number[]> = { coldAnalysis: [], coldLast: [], warmAnalysis: [], editAnalysis: [], editLast: [] };
  const reusedAfterEdit: number[] = [];
  // The engine's CPU time during each cold measurement: where an analysis spends more than a build.
  const engineProcs = engineProcesses(host);
  const pids = engineProcs.map((p) => p.pid);
  const pprofAt = PPROF ? pprofSockets(host, engineProcs) : [];
  if (PPROF) { mkdirSync(PPROF, { recursive: true }); process.stderr.write(`--pprof: profiling ${pprofAt.map((e) => e.name).join(' and ') || 'nothing (not a local engine)'} into ${PPROF}\n`); }
  const cpu: Record<string, number[]> = { coldAnalysis: [], coldLast: [] };
  let edits = 0;

  // One untimed round so first-use costs (frontend load, base image unpack) hit no measurement.
  await cold(conn, dockerfile); await analysis(conn, dir);
  for (let rep = 0; rep < REPS; rep++) {
    // Alternate which measurement goes first so drift on a shared machine hits both alike.
    const order = rep % 2 ? ['last', 'analysis'] : ['analysis', 'last'];
    let last: AnalysisReport | null = null;
    for (const o of order) {
      await cold(conn, dockerfile);
      // The window is fixed and longer than either measurement: idle time adds no samples. The
      // pause lets the engine start profiling before the measurement does.
      const profiles = PPROF ? captureProfiles(pprofAt, PPROF, `${o}-${rep}`, 6) : null;
      if (profiles) await new Promise((r) => setTimeout(r, 200));
      const cpu0 = cpuSeconds(pids);
      if (o === 'analysis') { const a = await analysis(conn, dir); m.coldAnalysis!.push(a.ms); bytes.coldAnalysis!.push(a.report.contextBytes ?? 0); last = a.report; }
      else { const b = await plainBuild(conn, dir, 'runtime', 'stagelens-bench/last:latest'); m.coldLast!.push(b.ms); bytes.coldLast!.push(b.bytes); }
      if (pids.length) (o === 'analysis' ? cpu.coldAnalysis! : cpu.coldLast!).push(cpuSeconds(pids) - cpu0);
      await profiles;
    }
    if (NAIVE) {
      await cold(conn, dockerfile);
      let t = 0;
      for (const s of STAGES) t += (await plainBuild(conn, dir, s, `stagelens-bench/naive:${s}`, true)).ms;
      m.naiveNoCache!.push(t);
      await cold(conn, dockerfile);
      t = 0;
      for (const s of STAGES) t += (await plainBuild(conn, dir, s, `stagelens-bench/naive:${s}`)).ms;
      m.naiveShared!.push(t);
      last = (await analysis(conn, dir)).report;
    }
    // Warm: everything is cached now (the cold runs above left the images and the cache).
    const prevText = DOCKERFILE;
    // The report the editor would hold: an analysis whose images are still there (a cold() ran since `last`).
    void last;
    const warmBase = (await analysis(conn, dir)).report;
    await plainBuild(conn, dir, 'runtime', 'stagelens-bench/last:latest');
    // Warm and edited runs take a few hundred ms: SAMPLES of each per repetition, so one
    // scheduling hiccup does not decide a median.
    for (let k = 0; k < SAMPLES; k++) for (const o of order) {
      if (o === 'analysis') {
        const a = await analysis(conn, dir, { previous: { report: warmBase, text: prevText } });
        m.warmAnalysis!.push(a.ms); bytes.warmAnalysis!.push(a.report.contextBytes ?? 0);
        m.warmAnalysisNoPrev!.push((await analysis(conn, dir)).ms);
      } else m.warmLast!.push((await plainBuild(conn, dir, 'runtime', 'stagelens-bench/last:latest')).ms);
    }
    // A one-line edit in the last stage: each side gets a line no build has seen, so both run
    // that stage's edited step and everything before it comes from the cache.
    for (let k = 0; k < SAMPLES; k++) for (const o of order) {
      const text = edited(++edits);
      if (o === 'analysis') {
        const a = await analysis(conn, dir, { text, previous: { report: warmBase, text: prevText } });
        m.editAnalysis!.push(a.ms); bytes.editAnalysis!.push(a.report.contextBytes ?? 0);
        reusedAfterEdit.push(a.report.stages.filter((s) => s.reused).length);
      } else { const b = await plainBuild(conn, dir, 'runtime', 'stagelens-bench/last:latest', false, text); m.editLast!.push(b.ms); bytes.editLast!.push(b.bytes); }
    }
    process.stderr.write(`rep ${rep + 1}/${REPS}: ${Object.entries(m).filter(([, v]) => v.length).map(([k, v]) => `${k}=${fmt(v[v.length - 1]!)}s`).join(' ')}\n`);
  }
  await cold(conn, dockerfile);

  const row = (label: string, xs: number[]): string => `| ${label} | ${fmt(median(xs))} | ${fmt(Math.min(...xs))} – ${fmt(Math.max(...xs))} | ${xs.map(fmt).join(', ')} |`;
  const ratio = (a: number[], b: number[]): number => median(a) / median(b);
  // Per-repetition ratios show the spread of the ratio itself, not only of its parts.
  const perRep = (a: number[], b: number[]): string => { const r = a.map((x, i) => x / b[i]!); return `${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}`; };
  const target = (r: number, t: number): string => `≤ ${t.toFixed(2)}×: ${r <= t ? 'met' : 'NOT met'}`;
  // A ratio that rounds to its target's two decimals but misses it gets a third decimal.
  const shown = (r: number, t: number): string => (r > t && r.toFixed(2) === t.toFixed(2) ? r.toFixed(3) : r.toFixed(2));
  const r1 = ratio(m.coldAnalysis!, m.coldLast!);
  const r3 = ratio(m.warmAnalysis!, m.warmLast!);
  const r3b = ratio(m.warmAnalysisNoPrev!, m.warmLast!);
  const r4 = ratio(m.editAnalysis!, m.editLast!);
  const kb = (xs: number[]): string => `${(median(xs) / 1000).toFixed(1)} kB`;
  const version = conn.version;
  const label = argOf('--label') ?? `${conn.store === 'containerd' ? 'containerd image store' : conn.store ?? 'overlay2'}, private engine`;
  const machine = `${cpus()[0]?.model.trim() ?? 'cpu'} × ${cpus().length}, ${(totalmem() / 1e9).toFixed(1)} GB RAM, ${platform()} ${release()} ${arch()}, Node ${process.version}, Docker Engine ${version} (API ${conn.apiVersion}, BuildKit, ${label})`;
  const section = [
    `## ${SECTION}`,
    '',
    'Cost of `analyzeStages` (one BuildKit build per stage with `target`: the last stage first, then the stages it needs',
    'from its cache, two at a time; stage images tagged, labelled, inspected and their history mapped to lines; with the previous report, unchanged stages',
    'reused) on a 4-stage busybox Dockerfile where every stage does real work (24 MB of random data, 300 file',
    'splits, a sha256 + gzip bundle, a runtime stage that copies the bundle), network `none`. The plain builds send',
    'their context through a BuildKit session of their own, as buildx does.',
    '"Cold" = BuildKit cache pruned (`POST /build/prune?all=1`) and earlier images removed before the measurement.',
    `The edit changes one \`RUN\` line of the last stage to a text no build has seen (each side its own). Warm and edit rows: ${SAMPLES} samples per repetition, alternating sides.`,
    startedHere || !argOf('--host')
      ? 'Run: `node --import tsx bench/analyze.ts` (starts its own private engine so pruning never touches the test engine).'
      : `Run: \`node --import tsx bench/analyze.ts --host ${host}\` (a private engine: \`node scripts/engines.mjs start ${/stagelens-matrix\/([^/]+)\//.exec(host)?.[1] ?? 'NAME'}\`; pruning must never touch an engine others use).`,
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${REPS} repetitions, on ${machine}.`,
    `Machine load (5-min load average) ${loadBefore.toFixed(1)} at the start and ${loadavg()[1]!.toFixed(1)} at the end, on ${cpus().length} cores:`,
    loadBefore > cpus().length ? 'other work shared the CPUs, so single runs vary a lot; compare medians and the per-run ratio range.' : 'the machine was otherwise idle; still compare medians and the per-run ratio range.',
    '',
    '| measurement | median s | min – max s | all runs s |',
    '|---|---:|---:|---|',
    row('cold per-stage analysis (4 stages)', m.coldAnalysis!),
    row('cold single build of the last stage', m.coldLast!),
    ...(NAIVE ? [row('naive: 4 × build --target, each --no-cache', m.naiveNoCache!), row('naive: 4 × build --target, shared cache', m.naiveShared!)] : []),
    row('warm re-analysis, unchanged Dockerfile (previous report)', m.warmAnalysis!),
    row('warm re-analysis, unchanged, no previous report', m.warmAnalysisNoPrev!),
    row('warm single build of the last stage', m.warmLast!),
    row('re-analysis after a one-line edit in the last stage', m.editAnalysis!),
    row('single build of the edited last stage', m.editLast!),
    '',
    '| ratio (medians) | value | target |',
    '|---|---:|---|',
    `| (1) cold analysis / cold build of the last stage | **${shown(r1, 1.1)}×** (per run ${perRep(m.coldAnalysis!, m.coldLast!)}) | ${target(r1, 1.1)} |`,
    `| (2) warm re-analysis / warm build of the last stage | **${shown(r3, 1.5)}×** (per run ${perRep(m.warmAnalysis!, m.warmLast!)}) | ${target(r3, 1.5)} |`,
    `| (2b) same, without the previous report | **${r3b.toFixed(2)}×** (per run ${perRep(m.warmAnalysisNoPrev!, m.warmLast!)}) | report |`,
    `| (3) re-analysis after a one-line edit / build of that stage | **${shown(r4, 1.3)}×** (per run ${perRep(m.editAnalysis!, m.editLast!)}) | ${target(r4, 1.3)} |`,
    ...(NAIVE ? [`| naive per-stage builds without / with shared cache | ${ratio(m.coldAnalysis!, m.naiveNoCache!).toFixed(2)}× / ${ratio(m.coldAnalysis!, m.naiveShared!).toFixed(2)}× | report |`] : []),
    '',
    `Context bytes sent (medians): cold analysis ${kb(bytes.coldAnalysis!)} vs cold plain build ${kb(bytes.coldLast!)}; warm re-analysis ${kb(bytes.warmAnalysis!)};`,
    `after the edit ${kb(bytes.editAnalysis!)} vs the plain build of the edited text ${kb(bytes.editLast!)} (BuildKit keeps what it received per`,
    `context folder, so later sessions send only what changed). Stages reused after the edit: ${[...new Set(reusedAfterEdit)].join(', ')} of 4.`,
    ...(cpu.coldAnalysis!.length ? [`Engine CPU time during the cold runs (the engine's own processes — ${[...new Set(engineProcs.map((p) => p.name))].join(' and ')} — user + system, medians; build steps run in`,
      `processes of their own and are not counted): cold analysis ${median(cpu.coldAnalysis!).toFixed(2)} s (${cpu.coldAnalysis!.map((x) => x.toFixed(2)).join(', ')}) vs cold build of the`,
      `last stage ${median(cpu.coldLast!).toFixed(2)} s (${cpu.coldLast!.map((x) => x.toFixed(2)).join(', ')}).`] : []),
    '',
  ].join('\n');
  process.stdout.write(`${section}\n`);
  if (WRITE) {
    const file = join(__dirname, 'BENCHMARKS.md');
    let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\n';
    const start = doc.indexOf(`## ${SECTION}\n`);
    if (start >= 0) {
      const next = doc.indexOf('\n## ', start + 3);
      doc = doc.slice(0, start) + section + (next >= 0 ? `\n${doc.slice(next + 1)}` : '');
    } else {
      doc = doc.replace(/\n*$/, '\n\n') + section;
    }
    writeFileSync(file, doc);
  }
  if (startedHere && !args.includes('--keep-engine')) {
    execFileSync(process.execPath, [join(root, 'scripts', 'engine.mjs'), 'stop'], { env: { ...process.env, STAGELENS_ENGINE_DIR: '/run/stagelens-bench-analyze', STAGELENS_ENGINE_ROOT: '/var/lib/stagelens-bench-analyze' }, stdio: 'inherit' });
  }
}

main().catch((e: unknown) => { process.stderr.write(`bench/analyze: ${e instanceof Error ? e.message : String(e)}\n`); process.exit(1); });
