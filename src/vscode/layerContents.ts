// Layer-content analyses of stage images, kept in the extension host: the report goes to the
// panel, the per-path index answers its paged queries. Exporting an image streams all of it, so
// one analysis per image serves both the final-image facts and the Files view, and only the
// last few images stay in memory (an index of a 100,000-file image is tens of MB).
import type { LayerIndex } from '../core/layers/query';
import type { LayerContentsReport } from '../core/layers/types';
import type { AnalysisReport } from '../core/report';

export interface ContentsAnalysis {
  report: LayerContentsReport;
  index: Pick<LayerIndex, 'list'>;
}

export type AnalyseImage = (imageId: string, report: AnalysisReport | null, endpoint: string, signal: AbortSignal) => Promise<ContentsAnalysis>;

interface Entry { promise: Promise<ContentsAnalysis>; ctrl: AbortController }

export class LayerContentsCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly analyse: AnalyseImage, private readonly capacity = 3) {}

  /**
   * The analysis of one image, started at most once while it is cached. `signal` only stops this
   * caller's wait: others may share the export, which is aborted when the entry is evicted.
   */
  get(imageId: string, report: AnalysisReport | null, endpoint: string, signal?: AbortSignal): Promise<ContentsAnalysis> {
    const key = `${endpoint}\n${imageId}`;
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      const ctrl = new AbortController();
      const promise = this.analyse(imageId, report, endpoint, ctrl.signal);
      entry = { promise, ctrl };
      const mine = entry;
      // A failed analysis is not cached: the next request (e.g. after the engine is back) retries.
      promise.catch(() => { if (this.entries.get(key) === mine) this.entries.delete(key); });
      this.entries.set(key, entry);
      while (this.entries.size > this.capacity) {
        const [oldKey, old] = this.entries.entries().next().value as [string, Entry];
        this.entries.delete(oldKey);
        old.ctrl.abort();
      }
    }
    return signal ? raceAbort(entry.promise, signal) : entry.promise;
  }

  has(imageId: string, endpoint: string): boolean { return this.entries.has(`${endpoint}\n${imageId}`); }

  get size(): number { return this.entries.size; }

  clear(): void {
    for (const e of this.entries.values()) e.ctrl.abort();
    this.entries.clear();
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e instanceof Error ? e : new Error(String(e))); });
  });
}

/** The real analysis: connect to the engine and stream the image's export. */
export const analyseWithEngine: AnalyseImage = async (imageId, report, endpoint, signal) => {
  const { connectEngine, analyzeImageLayers } = await import('./engineModule');
  const { docker } = await connectEngine({ explicit: endpoint || undefined, signal });
  const { report: contents, index } = await analyzeImageLayers(docker, imageId, { analysis: report, signal });
  return { report: contents, index };
};
