// Runs inputs through the pipeline in a worker thread with a time bound per input and a heap
// ceiling for the thread: a hang or runaway allocation is detected and counted, and the next
// input gets a fresh worker.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { WorkerReply } from './pipeline-worker';

export type Outcome =
  | { kind: 'ok'; violations: string[]; parseMs: number; findingsMs: number; rewriteMs: number; totalMs: number; heapGrowthMB: number; problems: number; findings: number; rewritten: boolean }
  | { kind: 'crash'; error: string }
  | { kind: 'hang'; afterMs: number }
  | { kind: 'oom'; error: string };

export const HEAP_CEILING_MB = 1024;

export class BoundedPipeline {
  private worker: Worker | null = null;
  private ready: Promise<string[]> | null = null;
  private seq = 0;
  steps: string[] = [];
  workersStarted = 0;

  private start(): Promise<string[]> {
    const boot = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(join(__dirname, 'pipeline-worker.ts'))});`;
    // A 1 MB stack like the extension host's main thread, so deep recursion fails here as it would there.
    const w = new Worker(boot, { eval: true, resourceLimits: { maxOldGenerationSizeMb: HEAP_CEILING_MB, stackSizeMb: 1 }, stdout: false, stderr: false });
    this.worker = w;
    this.workersStarted++;
    this.ready = new Promise((resolve, reject) => {
      const onMsg = (m: { ready?: boolean; steps?: string[] }): void => { if (m.ready) { w.off('message', onMsg); this.steps = m.steps ?? []; resolve(this.steps); } };
      w.on('message', onMsg);
      w.once('error', reject);
    });
    return this.ready;
  }

  async init(): Promise<string[]> {
    return this.ready ?? this.start();
  }

  async run(text: string, wrong: boolean, timeoutMs: number): Promise<Outcome> {
    if (!this.worker) await this.start();
    await this.ready;
    const w = this.worker!;
    const id = ++this.seq;
    const t0 = Date.now();
    return new Promise<Outcome>((resolve) => {
      const cleanup = (): void => { clearTimeout(timer); w.off('message', onMsg); w.off('error', onErr); w.off('exit', onExit); };
      const fresh = (): void => { this.worker = null; this.ready = null; };
      const timer = setTimeout(() => { cleanup(); fresh(); void w.terminate(); resolve({ kind: 'hang', afterMs: Date.now() - t0 }); }, timeoutMs);
      const onMsg = (m: WorkerReply): void => {
        if (m.id !== id) return;
        cleanup();
        resolve(m.ok ? { kind: 'ok', violations: m.violations, parseMs: m.parseMs, findingsMs: m.findingsMs, rewriteMs: m.rewriteMs, totalMs: m.totalMs, heapGrowthMB: m.heapGrowthMB, problems: m.problems, findings: m.findings, rewritten: m.rewritten } : { kind: 'crash', error: m.error });
      };
      const onErr = (e: Error & { code?: string }): void => {
        cleanup(); fresh();
        resolve(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { kind: 'oom', error: e.message } : { kind: 'crash', error: `worker died: ${e.message}` });
      };
      const onExit = (code: number): void => { cleanup(); fresh(); resolve({ kind: 'crash', error: `worker exited with ${code}` }); };
      w.on('message', onMsg);
      w.on('error', onErr);
      w.on('exit', onExit);
      w.postMessage({ id, text, wrong });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
