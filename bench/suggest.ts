// Parse + all findings on a generated 2,000-line, 40-stage Dockerfile, against dockerfile-utils'
// `validate` (the linter behind the Docker language server) on the same text, in the same run.
// Run: node --import tsx bench/suggest.ts [--iterations N] [--no-write]
import { cpus, totalmem, platform, release, arch } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { validate } from 'dockerfile-utils';
import { parseDockerfile } from '../src/core/dockerfile/parse';
import { analyzeDockerfile } from '../src/core/suggest';

const STAGES = 40;
const LINES = 2000;

/** Deterministic, realistic mix: apt/pip/npm installs, continuations, COPY --from, ENV, comments. */
export function generateDockerfile(stages = STAGES, lines = LINES): string {
  const perStage = Math.floor(lines / stages);
  const out: string[] = [];
  const bases = ['python:3.12', 'node:20', 'golang:1.22', 'debian:bookworm', 'python:3.12-slim', 'alpine:3.20'];
  for (let s = 0; s < stages; s++) {
    const stage: string[] = [];
    stage.push(`# Stage ${s}`);
    stage.push(s > 0 && s % 5 === 0 ? `FROM s${s - 1} AS s${s}` : `FROM ${bases[s % bases.length]} AS s${s}`);
    let k = 0;
    while (stage.length < perStage - 1) {
      switch (k++ % 10) {
        case 0: stage.push('WORKDIR /app'); break;
        case 1: stage.push(`ENV APP_${s}_${k}=value${k} PATH="/opt/venv/bin:$PATH"`); break;
        case 2: stage.push('RUN apt-get update \\', '    && apt-get install -y build-essential curl \\', '    && rm -rf /var/lib/apt/lists/*'); break;
        case 3: stage.push('COPY requirements.txt requirements-dev.txt ./'); break;
        case 4: stage.push(`RUN pip install -r requirements.txt -r requirements-dev.txt # ${k}`); break;
        case 5: stage.push(s > 0 ? `COPY --from=s${s - 1} /app /app/prev${k}` : 'COPY . .'); break;
        case 6: stage.push('RUN npm ci && npm run build'); break;
        case 7: stage.push(`RUN --mount=type=cache,target=/root/.cache/go-build go build -o /out/app${k} ./cmd/app`); break;
        case 8: stage.push(`LABEL stage="${s}" step="${k}"`); break;
        default: stage.push(`RUN echo ${k} > /tmp/f${k} && rm /tmp/f${k}`); break;
      }
    }
    while (stage.length < perStage) stage.push(s === stages - 1 ? 'CMD ["python", "app.py"]' : 'EXPOSE 8080');
    out.push(...stage.slice(0, perStage));
  }
  while (out.length < lines) out.push('# padding');
  return out.slice(0, lines).join('\n') + '\n';
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos); const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
const stats = (xs: number[]): { median: number; p10: number; p90: number; min: number; max: number } => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), min: s[0]!, max: s[s.length - 1]! };
};

function main(): void {
  const argv = process.argv.slice(2);
  const itArg = argv.indexOf('--iterations');
  const iterations = itArg >= 0 ? Number(argv[itArg + 1]) : 30;
  if (!Number.isInteger(iterations) || iterations < 20) throw new Error('--iterations must be an integer >= 20');
  const text = generateDockerfile();
  const df = parseDockerfile(text);
  if (df.stages.length !== STAGES || text.split('\n').length - 1 !== LINES || df.problems.length) throw new Error('generator produced an unexpected Dockerfile');
  const ours = (): number => analyzeDockerfile(text).length;
  const theirs = (): number => validate(text).length;
  const nOurs = ours(); const nTheirs = theirs();
  for (let i = 0; i < 5; i++) { ours(); theirs(); }
  const tOurs: number[] = []; const tTheirs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    // Alternate the order so neither side always runs on a warmer heap.
    const pair: [() => number, number[]][] = i % 2 ? [[theirs, tTheirs], [ours, tOurs]] : [[ours, tOurs], [theirs, tTheirs]];
    for (const [fn, into] of pair) { const t0 = performance.now(); fn(); into.push(performance.now() - t0); }
  }
  const a = stats(tOurs); const b = stats(tTheirs);
  const ratio = a.median / b.median;
  const cpu = cpus();
  const machine = `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${(totalmem() / 1e9).toFixed(1)} GB RAM, ${platform()} ${release()} ${arch()}, Node ${process.version}`;
  const f = (x: number): string => x.toFixed(2);
  const row = (name: string, s: ReturnType<typeof stats>, n: number): string => `| ${name} | ${f(s.median)} | ${f(s.p10)} – ${f(s.p90)} | ${f(s.min)} – ${f(s.max)} | ${n} |`;
  const section = [
    '## Suggestions',
    '',
    `Parse + all Stage Lens findings (\`analyzeDockerfile\`) versus dockerfile-utils \`validate\` on the same generated`,
    `${LINES}-line, ${STAGES}-stage Dockerfile, same process, ${iterations} alternating iterations after 5 warm-up rounds.`,
    `Run: \`node --import tsx bench/suggest.ts\`. Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}.`,
    '',
    '| | median ms | p10 – p90 ms | min – max ms | results |',
    '|---|---:|---:|---:|---:|',
    row('Stage Lens parse + findings', a, nOurs),
    row('dockerfile-utils validate', b, nTheirs),
    '',
    `Ratio (Stage Lens / dockerfile-utils, medians): **${ratio.toFixed(2)}** — target ≤ 1.00: ${ratio <= 1 ? 'met' : 'NOT met'}.`,
    '',
  ].join('\n');
  process.stdout.write(`${machine}\n${section}\n`);
  if (!argv.includes('--no-write')) {
    const file = join(__dirname, 'BENCHMARKS.md');
    let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\n';
    const start = doc.indexOf('## Suggestions');
    if (start >= 0) {
      const next = doc.indexOf('\n## ', start + 3);
      doc = doc.slice(0, start) + section + (next >= 0 ? doc.slice(next + 1) : '');
    } else {
      doc = doc.replace(/\n*$/, '\n\n') + section;
    }
    writeFileSync(file, doc);
    process.stdout.write(`Wrote ${file}\n`);
  }
}

if (require.main === module) main();
