// Each reliability test file runs in its own process (node:test isolation), so figures are
// handed to the summary reporter (run.mjs) as one JSON file per recording, not kept in memory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const figuresDir = process.env.STAGELENS_RELIABILITY_FIGURES ?? join(__dirname, '.figures');

export interface Figures {
  /** Faults deliberately caused (engine stopped, socket refusing, cancel mid-build, …). */
  faultsInjected?: number;
  /** Of those, how many ended with a clear message and a working next run. */
  faultsSurvived?: number;
  badInputsTried?: number;
  crashes?: number;
  hangs?: number;
  maxParseMs?: number;
  maxHeapGrowthMB?: number;
  securityChecks?: number;
  securityFailures?: number;
  /** Free-form extra numbers for the report (e.g. messages fuzzed). */
  notes?: Record<string, number | string>;
}

let seq = 0;

/** Stores one set of figures under `name` (e.g. `fuzz`, `fault:engine-stopped`). */
export function recordFigures(name: string, figures: Figures): void {
  mkdirSync(figuresDir, { recursive: true });
  const file = join(figuresDir, `${name.replace(/[^\w.-]+/g, '_')}.${process.pid}.${seq++}.json`);
  writeFileSync(file, JSON.stringify({ name, ...figures }));
}

/** Records one injected fault and whether the product survived it. */
export function recordFault(name: string, survived: boolean): void {
  recordFigures(`fault:${name}`, { faultsInjected: 1, faultsSurvived: survived ? 1 : 0 });
}

/** Records one security check and whether it held. */
export function recordSecurity(name: string, held: boolean): void {
  recordFigures(`security:${name}`, { securityChecks: 1, securityFailures: held ? 0 : 1 });
}
