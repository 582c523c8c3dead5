// Bad input: the hostile corpus and a seeded fuzz run through parse → findings → rewrite, each
// input under a time bound and in a heap-capped worker. No exception, no hang, bounded time and
// memory, and a parse problem wherever the input is wrong.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BoundedPipeline, type Outcome } from './bounded';
import { badInputs, rng } from './corpus';
import { recordFigures } from './figures';
import { fuzzSeeds, mutate } from './fuzz';

// Wall-clock bounds on a shared 2-core machine: generous enough not to flake under load, tight
// enough that superlinear behaviour (seconds per small input, minutes per large one) fails.
const LIGHT = { hangMs: 15_000, maxMs: 5_000, maxHeapMB: 64 };
const HEAVY = { hangMs: 120_000, maxMs: 60_000, maxHeapMB: 768 };
const FUZZ_N = Number(process.env.STAGELENS_FUZZ_N ?? 3000);
/** The fuzz stops at FUZZ_N mutants or after this many seconds, whichever comes first (suite budget). */
const FUZZ_BUDGET_MS = Number(process.env.STAGELENS_FUZZ_BUDGET_S ?? 75) * 1000;
const FUZZ_SEED = Number(process.env.STAGELENS_FUZZ_SEED ?? 20261128);

interface Tally { tried: number; crashes: number; hangs: number; violations: number; maxParseMs: number; maxHeapGrowthMB: number; failures: string[] }
const tally = (): Tally => ({ tried: 0, crashes: 0, hangs: 0, violations: 0, maxParseMs: 0, maxHeapGrowthMB: 0, failures: [] });

/** Failing inputs are kept so they can be replayed: `node --import tsx test/reliability/replay.ts FILE`. */
const failuresDir = join(tmpdir(), 'stagelens-reliability-failures');

function count(t: Tally, name: string, text: string, o: Outcome, bound: typeof LIGHT): void {
  t.tried++;
  const fail = (why: string): void => {
    if (t.failures.length >= 25) return;
    mkdirSync(failuresDir, { recursive: true });
    const file = join(failuresDir, `${name.replace(/[^\w.-]+/g, '_').slice(0, 80)}.dockerfile`);
    writeFileSync(file, text);
    t.failures.push(`${name}: ${why} [input: ${file}]`);
  };
  if (o.kind === 'hang') { t.hangs++; fail(`no answer within ${o.afterMs} ms`); return; }
  if (o.kind === 'crash' || o.kind === 'oom') { t.crashes++; fail(`${o.kind}: ${o.error}`); return; }
  t.maxParseMs = Math.max(t.maxParseMs, o.parseMs);
  t.maxHeapGrowthMB = Math.max(t.maxHeapGrowthMB, o.heapGrowthMB);
  const broken = [...o.violations];
  if (o.totalMs > bound.maxMs) broken.push(`took ${o.totalMs.toFixed(0)} ms (parse ${o.parseMs.toFixed(0)}, findings ${o.findingsMs.toFixed(0)}, rewrite ${o.rewriteMs.toFixed(0)}; bound ${bound.maxMs})`);
  if (o.heapGrowthMB > bound.maxHeapMB) broken.push(`heap grew ${o.heapGrowthMB.toFixed(0)} MB (bound ${bound.maxHeapMB})`);
  if (broken.length) { t.violations++; fail(broken.join('; ')); }
}

const runner = new BoundedPipeline();
let steps: string[] = [];

describe('bad input', () => {
  before(async () => { steps = await runner.init(); });
  after(async () => { await runner.close(); });

  it('survives the hostile corpus (≥100 inputs) with a problem wherever the input is wrong', async () => {
    const corpus = badInputs();
    assert.ok(corpus.length >= 100, `corpus has ${corpus.length} inputs`);
    const t = tally();
    for (const c of corpus) {
      const bound = c.heavy ? HEAVY : LIGHT;
      count(t, c.name, c.text, await runner.run(c.text, c.wrong, bound.hangMs), bound);
    }
    recordFigures('corpus', { badInputsTried: t.tried, crashes: t.crashes, hangs: t.hangs, maxParseMs: t.maxParseMs, maxHeapGrowthMB: t.maxHeapGrowthMB, notes: { corpusInputs: t.tried, corpusViolations: t.violations } });
    process.stdout.write(`# corpus: ${t.tried} inputs through ${steps.join(' → ')}; crashes ${t.crashes}, hangs ${t.hangs}, invariant breaks ${t.violations}; max parse ${t.maxParseMs.toFixed(1)} ms, max heap growth ${t.maxHeapGrowthMB.toFixed(1)} MB\n`);
    assert.deepEqual(t.failures, []);
  });

  it(`survives up to ${FUZZ_N} seeded mutants of real Dockerfiles in ${FUZZ_BUDGET_MS / 1000} s (seed ${FUZZ_SEED})`, async () => {
    const seeds = fuzzSeeds();
    const corpus = badInputs().filter((c) => !c.heavy && c.text.length < 20_000).map((c) => c.text);
    const pool = [...seeds.map((s) => s.text), ...corpus];
    const r = rng(FUZZ_SEED);
    const t = tally();
    const byMutation: Record<string, number> = {};
    let rewritten = 0;
    const deadline = Date.now() + FUZZ_BUDGET_MS;
    for (let i = 0; i < FUZZ_N && Date.now() < deadline; i++) {
      const base = r() < 0.7 ? seeds[Math.floor(r() * seeds.length)]!.text : pool[Math.floor(r() * pool.length)]!;
      const { text, mutation } = mutate(r, base, pool);
      byMutation[mutation] = (byMutation[mutation] ?? 0) + 1;
      // Mutants carry no expectation of wrongness: only crash, hang, time, memory and position invariants.
      const o = await runner.run(text, false, LIGHT.hangMs);
      if (o.kind === 'ok' && o.rewritten) rewritten++;
      count(t, `mutant #${i} (${mutation})`, text, o, LIGHT);
    }
    recordFigures('fuzz', { badInputsTried: t.tried, crashes: t.crashes, hangs: t.hangs, maxParseMs: t.maxParseMs, maxHeapGrowthMB: t.maxHeapGrowthMB, notes: { fuzzInputs: t.tried, fuzzSeeds: seeds.length, fuzzViolations: t.violations, fuzzRewritten: rewritten } });
    process.stdout.write(`# fuzz: ${t.tried} mutants of ${seeds.length} seeds (${Object.entries(byMutation).map(([k, v]) => `${k} ${v}`).join(', ')}) through ${steps.join(' → ')}; crashes ${t.crashes}, hangs ${t.hangs}, invariant breaks ${t.violations}, rewritten ${rewritten}; max parse ${t.maxParseMs.toFixed(1)} ms, max heap growth ${t.maxHeapGrowthMB.toFixed(1)} MB; workers ${runner.workersStarted}\n`);
    assert.deepEqual(t.failures, []);
    assert.ok(t.tried >= 200, `only ${t.tried} mutants fit in the time budget: the pipeline got slow`);
  });
});
