// Extension benchmarks (issue 4): bundle sizes, activation cost of the host bundle, and the
// time from "analysis finished" to lenses and panel state ready for a 40-stage Dockerfile.
// Run: npm run build && npx tsx bench/extension.bench.ts [--write]
// Activation is measured by loading dist/extension.js with a stand-in `vscode` module and
// calling activate(): it is the extension's own cost, not VS Code's extension-host startup.
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { parseDockerfile } from '../src/core/dockerfile/parse';
import { SCHEMA_VERSION, type AnalysisReport, type StageReport } from '../src/core/report';
import { computeLenses } from '../src/view/lenses';
import { summarize } from '../src/view/stages';
import type { PanelState } from '../src/view/protocol';

const root = join(__dirname, '..');
const STAGES = 40;
const RUNS = 30;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function bundle(name: string): { bytes: number; gzip: number } | null {
  const p = join(root, 'dist', name);
  if (!existsSync(p)) return null;
  return { bytes: statSync(p).size, gzip: gzipSync(readFileSync(p)).length };
}

const VSCODE_NAMES = ['CodeAction', 'CodeActionKind', 'CodeLens', 'ConfigurationTarget', 'Diagnostic', 'DiagnosticSeverity', 'Disposable',
  'EventEmitter', 'ProgressLocation', 'Range', 'Selection', 'StatusBarAlignment', 'TextEditorRevealType', 'ThemeIcon', 'TreeItem',
  'TreeItemCollapsibleState', 'Uri', 'ViewColumn', 'WorkspaceEdit', 'commands', 'languages', 'window', 'workspace'];

// Runs in a plain `node` child (no TypeScript loader, which would transpile the bundle and
// distort the load time). Every vscode member is a callable, constructible no-op; the bundle's
// ESM interop copies the module's own keys, so the namespaces are real keys.
const ACTIVATION_PROBE = `
const Module = require('node:module');
const { performance } = require('node:perf_hooks');
const h = { get: (_t, p) => p === 'then' ? undefined : p === Symbol.iterator ? [][Symbol.iterator] : p === Symbol.toPrimitive ? () => 0 : proxy,
  apply: () => proxy, construct: () => proxy, set: () => true };
const proxy = new Proxy(function noop() {}, h);
const stub = Object.fromEntries(JSON.parse(process.argv[2]).map((n) => [n, proxy]));
const load = Module._load;
Module._load = (req, ...rest) => req === 'vscode' ? stub : load.call(Module, req, ...rest);
const t0 = performance.now();
const ext = require(process.argv[1]);
const t1 = performance.now();
ext.activate({ subscriptions: [], extensionUri: proxy });
const t2 = performance.now();
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, activateMs: t2 - t1 }));
`;

function measureActivation(): { loadMs: number; activateMs: number; runs: number } | null {
  const file = join(root, 'dist', 'extension.js');
  if (!existsSync(file)) return null;
  const runs: { loadMs: number; activateMs: number }[] = [];
  for (let i = 0; i < 7; i++) {
    const r = spawnSync(process.execPath, ['-e', ACTIVATION_PROBE, file, JSON.stringify(VSCODE_NAMES)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`activation probe failed: ${r.stderr}`);
    runs.push(JSON.parse(r.stdout) as { loadMs: number; activateMs: number });
  }
  return { loadMs: median(runs.map((r) => r.loadMs)), activateMs: median(runs.map((r) => r.activateMs)), runs: runs.length };
}

function fortyStages(): { text: string; report: AnalysisReport } {
  const lines: string[] = [];
  const stages: StageReport[] = [];
  for (let i = 0; i < STAGES; i++) {
    const fromLine = lines.length + 1;
    lines.push(i === 0 ? 'FROM debian:bookworm AS s0' : `FROM s${i - 1} AS s${i}`);
    const layers = [];
    for (let k = 0; k < 5; k++) {
      const ins = `RUN echo stage ${i} step ${k} > /f${i}_${k}`;
      lines.push(ins);
      layers.push({ index: k + 1, createdBy: ins, sizeBytes: (k + 1) * 5_000_000, empty: false, fromBase: false, line: lines.length, endLine: lines.length, instruction: ins, cached: k % 2 === 0, durationMs: 120 });
    }
    stages.push({
      index: i, name: `s${i}`, line: fromLine, baseImage: i === 0 ? 'debian:bookworm' : `s${i - 1}`, baseStage: i === 0 ? null : i - 1,
      imageId: `sha256:${i}`, sizeBytes: 100_000_000 + i * 75_000_000, baseSizeBytes: 100_000_000 + (i - 1) * 75_000_000, addedBytes: 75_000_000,
      buildMs: 1500, layers: [{ index: 0, createdBy: 'base', sizeBytes: 100_000_000, empty: false, fromBase: true, line: null, endLine: null, instruction: null, cached: null, durationMs: null }, ...layers], error: null,
    });
  }
  const text = `${lines.join('\n')}\n`;
  return {
    text,
    report: {
      schemaVersion: SCHEMA_VERSION, dockerfile: '/w/Dockerfile', context: '/w',
      engine: { endpoint: 'unix:///x', version: '20.10', apiVersion: '1.41', builder: 'buildkit' }, startedAt: new Date().toISOString(), durationMs: 60_000, stages,
    },
  };
}

function measureUpdate(): { lensesMs: number; lensCount: number; staleLensesMs: number; panelStateMs: number; panelStateBytes: number } {
  const { text, report } = fortyStages();
  if (parseDockerfile(text).stages.length !== STAGES) throw new Error('fixture is not 40 stages');
  const base = { findings: [], running: false, thresholdBytes: 10_000_000, staleBehavior: 'mark' as const, suggestionsEnabled: true };
  const fresh: number[] = [], stale: number[] = [], panel: number[] = [];
  let lensCount = 0, bytes = 0;
  const edited = `# edited\n${text}`;
  for (let r = 0; r < RUNS; r++) {
    let t = performance.now();
    lensCount = computeLenses({ ...base, text, analysis: { report, text } }).length;
    fresh.push(performance.now() - t);
    t = performance.now();
    computeLenses({ ...base, text: edited, analysis: { report, text } });
    stale.push(performance.now() - t);
    t = performance.now();
    const state: PanelState = { document: { uri: 'file:///w/Dockerfile', fileName: 'Dockerfile' }, report, stale: false, facts: null, comparison: null, progress: null, notice: null };
    summarize(report);
    // postMessage structured-clones the state; JSON is a fair proxy for that cost.
    bytes = JSON.stringify({ type: 'state', state }).length;
    panel.push(performance.now() - t);
  }
  return { lensesMs: median(fresh), lensCount, staleLensesMs: median(stale), panelStateMs: median(panel), panelStateBytes: bytes };
}

const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  // Other suites share this machine; a high load makes load/activation times pessimistic.
  loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
  bundles: { extension: bundle('extension.js'), webview: bundle('webview.js') },
  activation: measureActivation(),
  fortyStageUpdate: measureUpdate(),
};
console.log(JSON.stringify(results, null, 2));
if (process.argv.includes('--write')) writeFileSync(join(root, 'bench', 'extension.results.json'), `${JSON.stringify(results, null, 2)}\n`);
