// Replays saved failing inputs through the pipeline with per-step timings:
//   node --import tsx test/reliability/replay.ts FILE...
import { readFileSync } from 'node:fs';
import { runPipeline } from './pipeline';

for (const f of process.argv.slice(2)) {
  const r = runPipeline(readFileSync(f, 'utf8'), false);
  process.stdout.write(`${f}: parse ${r.parseMs.toFixed(0)} ms, findings ${r.findingsMs.toFixed(0)} ms, rewrite ${r.rewriteMs.toFixed(0)} ms; ${r.violations.join('; ') || 'no violations'}\n`);
}
