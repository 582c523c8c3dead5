// `stagelens layers IMAGE`: what is in each layer, what is wasted, what the final image carries.
import { existsSync, readFileSync } from 'node:fs';
import { connectEngine } from '../engine/connection';
import { analyzeImageLayers } from '../engine/layers';
import { evaluateCi, parseDiveCi, type CiResult } from '../core/layers/ci';
import type { LayerContentsReport, SurfacePath } from '../core/layers/types';
import { formatBytes, type AnalysisReport } from '../core/report';
import { EXIT, UserError, flag, hasFlag, parseArgs, type CliIO } from './common';

const USAGE = 'Usage: stagelens layers IMAGE [--json] [--ci [--ci-config FILE]] [--host ENDPOINT] [--report FILE] [--top N] [--changes N]';

function intFlag(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UserError(`--${name} needs a whole number, got "${v}".`);
  return Number(v);
}

function readCiConfig(file: string | undefined): { rules: ReturnType<typeof parseDiveCi>['rules']; source: string } {
  const path = file ?? '.dive-ci';
  if (!existsSync(path)) {
    if (file) throw new UserError(`Cannot read --ci-config ${file}: no such file.`);
    return { rules: {}, source: "dive's defaults (no ./.dive-ci)" };
  }
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { throw new UserError(`Cannot read ${path}: ${(e as Error).message}.`); }
  const { rules, errors } = parseDiveCi(text);
  if (errors.length) throw new UserError(`${path} is not a .dive-ci file: ${errors[0]}.`);
  return { rules, source: path };
}

function readAnalysis(file: string | undefined): AnalysisReport | null {
  if (!file) return null;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as AnalysisReport;
    if (!Array.isArray(r.stages)) throw new Error('no stages');
    return r;
  } catch (e) {
    throw new UserError(`--report ${file} is not an AnalysisReport from \`stagelens analyze --json\` (${(e as Error).message}).`);
  }
}

export async function run(argv: string[], io: CliIO, signal: AbortSignal): Promise<number> {
  const args = parseArgs(argv, ['json', 'ci'], ['ci-config', 'host', 'report', 'top', 'changes']);
  if (args.positional.length !== 1) throw new UserError(`${args.positional.length ? 'One image only.' : 'Which image?'} ${USAGE}`);
  const ref = args.positional[0]!;
  const json = hasFlag(args, 'json');
  const ci = hasFlag(args, 'ci');
  if (flag(args, 'ci-config') && !ci) throw new UserError('--ci-config only applies with --ci.');
  const ciConfig = ci ? readCiConfig(flag(args, 'ci-config')) : null;
  const analysis = readAnalysis(flag(args, 'report'));
  const top = intFlag(flag(args, 'top'), 'top', json ? 50 : 10);
  const changes = intFlag(flag(args, 'changes'), 'changes', json ? 100 : 0);

  // Engine and input errors map to exit codes in one place (common.ts exitCodeFor).
  const conn = await connectEngine({ explicit: flag(args, 'host'), signal });

  let result;
  try {
    result = await analyzeImageLayers(conn.docker, ref, { analysis, signal, topWasted: top, changesPerLayer: changes });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET') throw new UserError(`Lost the Docker engine at ${conn.endpoint}: ${(e as Error).message}.`, EXIT.engine);
    throw e;
  }
  const { report } = result;
  const ciResult = ciConfig ? evaluateCi(report, ciConfig.rules) : null;

  if (json) {
    io.out(JSON.stringify(ciResult ? { ...report, ci: { ...ciResult, config: ciConfig!.source } } : report, null, 2));
  } else {
    io.out(summary(report, result.linkedBy));
    if (ciResult) io.out(ciText(ciResult, ciConfig!.source));
  }
  if (ciResult && !ciResult.pass) {
    if (json) io.err(`stagelens: CI ${ciResult.misconfigured ? 'misconfigured' : 'failed'}: ${ciResult.results.filter((r) => r.status === 'fail' || r.status === 'misconfigured').map((r) => `${r.rule}: ${r.message}`).join('; ')}`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);

function where(line: number | null, instruction: string | null): string {
  if (line === null) return '';
  const ins = instruction ? ` ${instruction.split('\n')[0]!.slice(0, 60)}` : '';
  return ` (line ${line}:${ins})`;
}

function pathList(items: SurfacePath[], max = 6): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, max).map((p) => p.path + (p.line !== null ? ` (line ${p.line})` : ''));
  return shown.join(', ') + (items.length > max ? `, +${items.length - max} more` : '');
}

export function summary(r: LayerContentsReport, linkedBy: string | null): string {
  const out: string[] = [];
  out.push(`${r.image}${r.imageId ? ` (${r.imageId.replace('sha256:', '').slice(0, 12)})` : ''}: ${r.layers.length} layer${r.layers.length === 1 ? '' : 's'}, ${formatBytes(r.sizeBytes)}, ${r.fileCount} files in the final filesystem`);
  out.push(`efficiency ${pct(r.efficiency)}   wasted ${formatBytes(r.wastedBytes)} (dive)   reclaimable ${formatBytes(r.reclaimableBytes)}   user wasted ${pct(r.userWastedPercent)}`);
  out.push('');
  out.push('layer  size       added          modified       removed        made by');
  for (const l of r.layers) {
    const f = l.files;
    const made = l.line !== null ? `line ${l.line}: ${(l.instruction ?? '').split('\n')[0]!.slice(0, 50)}` : (l.createdBy ?? '').replace(/^\/bin\/sh -c (#\(nop\)\s*)?/, '').slice(0, 50);
    out.push(`${String(l.index).padStart(5)}  ${formatBytes(l.sizeBytes).padEnd(9)}  ${`${f.added} ${formatBytes(f.addedBytes)}`.padEnd(13)}  ${`${f.modified} ${formatBytes(f.modifiedBytes)}`.padEnd(13)}  ${`${f.removed} ${formatBytes(f.removedBytes)}`.padEnd(13)}  ${made}`);
  }
  out.push('');
  if (r.topWasted.length === 0) out.push('No wasted paths: nothing is written twice or removed later.');
  else {
    out.push('Top wasted paths (reclaimable bytes):');
    for (const w of r.topWasted) {
      const writes = w.writes.map((x) => `layer ${x.layer}${where(x.line, x.instruction)}`).join(', ');
      const gone = w.removedBy ? `; ${w.removedBy.how} by layer ${w.removedBy.layer}${where(w.removedBy.line, w.removedBy.instruction)}` : '';
      out.push(`  ${formatBytes(w.reclaimableBytes).padStart(9)}  ${w.path}  written by ${writes}${gone}`);
    }
    if (!linkedBy) out.push('  (no Dockerfile lines: pass --report FILE from `stagelens analyze --json`, or analyze the image with Stage Lens first)');
  }
  out.push('');
  const s = r.surface;
  out.push('The final image carries:');
  out.push(`  compilers/build tools: ${pathList(s.compilers)}`);
  out.push(`  package managers:      ${pathList(s.packageManagers)}`);
  out.push(`  shells:                ${pathList(s.shells)}`);
  out.push(`  setuid/setgid files:   ${pathList(s.setuid)}`);
  const noSticky = s.worldWritableDirs.filter((d) => !d.sticky);
  out.push(`  world-writable dirs:   ${s.worldWritableDirs.length} (${noSticky.length ? `without sticky bit: ${pathList(noSticky)}` : 'all with sticky bit'})`);
  out.push(`  secret-looking files:  ${s.secrets.length ? s.secrets.slice(0, 6).map((x) => `${x.path} [${x.reason}]`).join(', ') + (s.secrets.length > 6 ? `, +${s.secrets.length - 6} more` : '') : 'none'}`);
  out.push(`  runs as:               ${s.runsAsRoot ? `root${s.user ? ` (USER ${s.user})` : ' (no USER set)'}` : s.user}`);
  return out.join('\n');
}

function ciText(c: CiResult, source: string): string {
  const out = ['', `CI rules (${source}):`];
  for (const r of c.results) {
    const tag = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', misconfigured: 'MISCONFIGURED' }[r.status];
    out.push(`  ${tag}: ${r.rule}${r.message && r.status !== 'skip' ? `: ${r.message}` : r.status === 'skip' ? ' (disabled)' : ` (threshold ${r.value})`}`);
  }
  out.push(c.misconfigured ? 'Result: CI misconfigured' : `Result: ${c.pass ? 'PASS' : 'FAIL'}`);
  return out.join('\n');
}
