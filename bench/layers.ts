// Benchmark: `stagelens layers` (inspect + export stream + analysis + report) against the raw
// export stream piped to /dev/null, in the same run, alternating, on the PRIVATE test engine.
// Each repetition runs in its own child process so peak memory (getrusage maxRSS) is per run.
//
//   node --import tsx bench/layers.ts [--reps 5] [--images 500m,1g,50k]   (or an existing image name)
//   node --import tsx bench/layers.ts --file EXPORT.tar [--reps 5]          (saved export, no engine)
//
// Images are built on first use from the busybox fixture: N layers of 100 files × 1 MiB of
// /dev/urandom (random, so sizes are real and nothing compresses away).
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import Dockerode from 'dockerode';
import * as tar from 'tar-stream';
import { dockerodeOptionsFor } from '../src/engine/connection';
import { openImageExport, inspectImageSummary } from '../src/engine/export';
import { analyzeImageLayers } from '../src/engine/layers';
import { analyzeExport } from '../src/core/layers/analyze';
import { ensureFixtures, testEngineHost } from '../test/harness/engine';

const layerLine = (n: number): string => `RUN mkdir /d${n} && i=0; while [ $i -lt 100 ]; do dd if=/dev/urandom of=/d${n}/f$i bs=1048576 count=1 2>/dev/null; i=$((i+1)); done`;
const IMAGES: Record<string, { tag: string; dockerfile: string }> = {
  '500m': { tag: 'stagelens-bench/layers-500m:latest', dockerfile: ['FROM busybox:latest', ...[1, 2, 3, 4, 5].map(layerLine)].join('\n') + '\n' },
  // 50,000 small files in one layer: memory per path and per-entry CPU.
  '50k': { tag: 'stagelens-bench/layers-50k:latest', dockerfile: 'FROM busybox:latest\nRUN mkdir /many && cd /many && i=1; while [ $i -le 50000 ]; do echo $i > f$i; i=$((i+1)); done\n' },
  '1g': { tag: 'stagelens-bench/layers-1g:latest', dockerfile: ['FROM stagelens-bench/layers-500m:latest', ...[6, 7, 8, 9, 10].map(layerLine)].join('\n') + '\n' },
};

async function ensureImage(docker: Dockerode, key: string): Promise<string> {
  if (!IMAGES[key]) return (await inspectImageSummary(docker, key)).repoTags[0] ?? key; // an existing image by name
  const { tag, dockerfile } = IMAGES[key]!;
  try { await inspectImageSummary(docker, tag); return tag; } catch { /* build it */ }
  if (key === '1g') await ensureImage(docker, '500m');
  process.stderr.write(`[bench] building ${tag} …\n`);
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  pack.finalize();
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, networkmode: 'none', rm: true, forcerm: true });
  const events = await new Promise<Array<{ error?: string }>>((resolve, reject) => docker.modem.followProgress(stream, (e: Error | null, r: Array<{ error?: string }>) => (e ? reject(e) : resolve(r))));
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(`build of ${tag} failed: ${failed.error}`);
  return tag;
}

/** Child mode: one measured run; prints {ms, maxRssMB, bytes|files} as JSON. */
async function child(mode: string, host: string, tag: string): Promise<void> {
  const docker = host === '-' ? (null as unknown as Dockerode) : new Dockerode(dockerodeOptionsFor(host));
  const t0 = process.hrtime.bigint();
  let extra: Record<string, number> = {};
  if (mode === 'rawfile' || mode === 'analyzefile') {
    // Engine out of the loop: the same export read from a saved file, to show the parser's own cost.
    if (mode === 'rawfile') await pipeline(createReadStream(tag), createWriteStream('/dev/null'));
    else extra = { files: (await analyzeExport(createReadStream(tag), { image: tag })).report.fileCount };
  } else if (mode === 'raw') {
    const info = await inspectImageSummary(docker, tag);
    const s = await openImageExport(docker, info.id);
    let bytes = 0;
    s.on('data', (c: Buffer) => { bytes += c.length; });
    await pipeline(s, createWriteStream('/dev/null'));
    extra = { bytes };
  } else {
    const { report } = await analyzeImageLayers(docker, tag);
    JSON.stringify(report);
    extra = { files: report.fileCount, sizeBytes: report.sizeBytes };
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ ms, maxRssMB: process.resourceUsage().maxRSS / 1024, ...extra }) + '\n');
}

/** `--file EXPORT.tar`: analysis vs plain read of a saved export, no engine involved. */
async function fileBench(path: string, reps: number): Promise<void> {
  const raw: number[] = []; const an: number[] = []; const rss: number[] = [];
  for (let i = 0; i < reps; i++) {
    for (const mode of i % 2 ? ['analyzefile', 'rawfile'] : ['rawfile', 'analyzefile']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', mode, '-', path], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
      (mode === 'rawfile' ? raw : an).push(res.ms);
      if (mode === 'analyzefile') rss.push(res.maxRssMB);
      process.stderr.write(`[bench] file ${mode} #${i + 1}: ${res.ms.toFixed(0)} ms, maxRSS ${res.maxRssMB.toFixed(0)} MB\n`);
    }
  }
  process.stdout.write(`file ${path}: read → /dev/null median ${median(raw).toFixed(0)} ms (${Math.min(...raw).toFixed(0)}–${Math.max(...raw).toFixed(0)}); analysis median ${median(an).toFixed(0)} ms (${Math.min(...an).toFixed(0)}–${Math.max(...an).toFixed(0)}); analysis peak RSS median ${median(rss).toFixed(0)} MB\n`);
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') { await child(argv[1]!, argv[2]!, argv[3]!); return; }
  const reps = Number(argv[argv.indexOf('--reps') + 1] ?? 5) || 5;
  if (argv.includes('--file')) { await fileBench(argv[argv.indexOf('--file') + 1]!, reps); return; }
  const keys = (argv.includes('--images') ? argv[argv.indexOf('--images') + 1]! : '500m,1g').split(',');
  let host = await testEngineHost();
  let docker = new Dockerode(dockerodeOptionsFor(host));
  // The fixture run can take minutes on a cold engine; only pay it when busybox is missing.
  if (!(await inspectImageSummary(docker, 'busybox:latest').then(() => true, () => false))) {
    host = await ensureFixtures();
    docker = new Dockerode(dockerodeOptionsFor(host));
  }
  const rows: string[] = [];
  for (const key of keys) {
    const tag = await ensureImage(docker, key);
    const info = await inspectImageSummary(docker, tag);
    const runs: Record<'raw' | 'analyze', Array<{ ms: number; maxRssMB: number; bytes?: number; files?: number }>> = { raw: [], analyze: [] };
    for (let i = 0; i < reps; i++) {
      for (const mode of (i % 2 ? ['analyze', 'raw'] : ['raw', 'analyze']) as Array<'raw' | 'analyze'>) {
        const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', mode, host, tag], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
        const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
        runs[mode].push(res);
        process.stderr.write(`[bench] ${key} ${mode} #${i + 1}: ${res.ms.toFixed(0)} ms, maxRSS ${res.maxRssMB.toFixed(0)} MB\n`);
      }
    }
    const rawMs = runs.raw.map((r) => r.ms);
    const anMs = runs.analyze.map((r) => r.ms);
    const ratios = anMs.map((a, i) => a / rawMs[i]!);
    const fmt = (xs: number[]): string => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
    rows.push(`| ${tag} | ${(info.sizeBytes / 1e6).toFixed(0)} MB, ${runs.analyze[0]!.files} files | ${(runs.raw[0]!.bytes! / 1e6).toFixed(0)} MB | ${fmt(rawMs)} | ${fmt(anMs)} | ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) | ${fmt(runs.raw.map((r) => r.maxRssMB))} | ${fmt(runs.analyze.map((r) => r.maxRssMB))} |`);
  }
  process.stdout.write([
    `reps: ${reps} per mode, alternating; node ${process.version}; ${new Date().toISOString()}`,
    '',
    '| image | size | export stream | raw → /dev/null, ms median (min–max) | stagelens layers, ms median (min–max) | ratio per rep, median (min–max) | raw peak RSS MB | layers peak RSS MB |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n') + '\n');
}

main().catch((e) => { process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`); process.exit(1); });
