// Worker-thread side of the bounded runner: runs one input at a time through the pipeline and
// reports time and heap figures. The parent kills this thread when an input exceeds its time
// bound, so a hang is counted instead of hanging the suite.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { runPipeline, stepsAvailable } from './pipeline';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

export interface WorkerRequest { id: number; text: string; wrong: boolean }
export type WorkerReply =
  | { id: number; ok: true; violations: string[]; parseMs: number; findingsMs: number; rewriteMs: number; totalMs: number; heapGrowthMB: number; problems: number; findings: number; rewritten: boolean }
  | { id: number; ok: false; error: string };

parentPort!.postMessage({ ready: true, steps: stepsAvailable });
parentPort!.on('message', (req: WorkerRequest) => {
  gc();
  const before = process.memoryUsage().heapUsed;
  try {
    const r = runPipeline(req.text, req.wrong);
    // Peak-ish: what the input made the heap hold at the end of its pass, before collection.
    const heapGrowthMB = Math.max(0, process.memoryUsage().heapUsed - before) / 1048576;
    parentPort!.postMessage({ id: req.id, ok: true, ...r, heapGrowthMB } satisfies WorkerReply);
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({ id: req.id, ok: false, error: `${err?.name}: ${err?.message}\n${String(err?.stack ?? '').split('\n').slice(1, 5).join('\n')}` } satisfies WorkerReply);
  }
});
