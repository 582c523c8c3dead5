#!/usr/bin/env node
// `npm run test:reliability`: runs every test under test/reliability with node:test, then
// prints the figures the tests recorded (faults survived, bad inputs, crashes, hangs, time and
// memory bounds) and writes them to test/reliability/summary.json for the README.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const figuresDir = process.env.STAGELENS_RELIABILITY_FIGURES ?? join(here, '.figures');
rmSync(figuresDir, { recursive: true, force: true });
mkdirSync(figuresDir, { recursive: true });

const t0 = Date.now();
const r = spawnSync(process.execPath, [join(repo, 'scripts', 'node-test.mjs'), here, ...process.argv.slice(2)], {
  stdio: 'inherit', env: { ...process.env, STAGELENS_RELIABILITY_FIGURES: figuresDir },
});

const sum = {
  faultsInjected: 0, faultsSurvived: 0, badInputsTried: 0, crashes: 0, hangs: 0,
  maxParseMs: 0, maxHeapGrowthMB: 0, securityChecks: 0, securityFailures: 0,
};
const faults = [];
const notes = {};
for (const f of readdirSync(figuresDir).sort()) {
  if (!f.endsWith('.json')) continue;
  const rec = JSON.parse(readFileSync(join(figuresDir, f), 'utf8'));
  for (const k of ['faultsInjected', 'faultsSurvived', 'badInputsTried', 'crashes', 'hangs', 'securityChecks', 'securityFailures']) sum[k] += rec[k] ?? 0;
  for (const k of ['maxParseMs', 'maxHeapGrowthMB']) sum[k] = Math.max(sum[k], rec[k] ?? 0);
  if (rec.name.startsWith('fault:')) faults.push({ fault: rec.name.slice(6), survived: rec.faultsSurvived === 1 });
  for (const [k, v] of Object.entries(rec.notes ?? {})) notes[k] = typeof v === 'number' && typeof notes[k] === 'number' ? notes[k] + v : v;
}
// Inputs that neither crashed nor hung but broke an invariant (no problem reported for a wrong
// input, a position outside the document, over the time or memory bound).
const invariantBreaks = (notes.corpusViolations ?? 0) + (notes.fuzzViolations ?? 0);
const summary = {
  ...sum,
  invariantBreaks,
  maxParseMs: Math.round(sum.maxParseMs * 10) / 10,
  maxHeapGrowthMB: Math.round(sum.maxHeapGrowthMB * 10) / 10,
  faults, notes, testExitCode: r.status, durationS: Math.round((Date.now() - t0) / 1000), at: new Date().toISOString(),
};
writeFileSync(join(here, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
rmSync(figuresDir, { recursive: true, force: true });

console.log(`\nreliability: faults injected ${summary.faultsInjected}, survived ${summary.faultsSurvived}; `
  + `bad inputs tried ${summary.badInputsTried}, crashes ${summary.crashes}, hangs ${summary.hangs}, invariant breaks ${summary.invariantBreaks}; `
  + `max parse time ${summary.maxParseMs} ms; max heap growth ${summary.maxHeapGrowthMB} MB; `
  + `security checks ${summary.securityChecks}, failed ${summary.securityFailures} (${summary.durationS} s)`);
process.exit(r.status ?? 1);
