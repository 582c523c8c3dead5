// Binds the service interfaces to the domain modules (src/engine, src/core/suggest,
// src/core/refactor), translating their event and result shapes into the editor's.
import { refactorToMultiStage } from '../core/refactor';
import { analyzeDockerfile, rewriteBasesOf } from '../core/suggest';
import { finalStage } from '../core/report';
import type { ProgressEvent as EngineProgressEvent } from '../engine/analyze';
import type { LayerContentsCache } from './layerContents';
import type { Analyzer, AnalyzerEvent, Suggester } from './services';
import { UserFacingError } from './services';

const loadEngine = () => import('./engineModule');

/** `layerContents` is shared with the panel's Files view, so the final image is exported once. */
export function createAnalyzer(layerContents: LayerContentsCache): Analyzer {
  return {
    async analyze(opts) {
      const { connectEngine, analyzeStages } = await loadEngine();
      const connection = await connectEngine({ explicit: opts.endpoint || undefined, signal: opts.signal });
      return analyzeStages({
        dockerfilePath: opts.dockerfile,
        contextDir: opts.context,
        text: opts.text,
        stages: opts.target !== undefined ? [opts.target] : undefined,
        target: opts.targetName,
        buildArgs: opts.buildArgs,
        builder: opts.builder,
        network: opts.network === 'default' ? undefined : opts.network,
        connection,
        signal: opts.signal,
        previous: opts.previous,
        onProgress: (e) => { const m = toAnalyzerEvent(e); if (m) opts.onProgress(m); },
      });
    },
    async cleanUp(endpoint, signal) {
      const { connectEngine, cleanUpImages } = await loadEngine();
      const { docker } = await connectEngine({ explicit: endpoint || undefined, signal });
      const res = await cleanUpImages(docker);
      if (res.failed.length && !res.removed.length) {
        throw new UserFacingError(`Could not remove ${res.failed.length} Stage Lens image(s): ${res.failed[0]!.message}`, 'Stop the containers that use them and try again.');
      }
      // Stage images share base layers, so a sum of their sizes would overstate what was freed.
      return { removed: res.removed.length, freedBytes: null };
    },
    async listEndpoints() {
      const { listEndpoints } = await loadEngine();
      return listEndpoints().map((c) => ({ label: c.label, endpoint: c.url, detail: c.description ? `${c.source} — ${c.description}` : c.source }));
    },
    async finalImageFacts(report, endpoint, signal) {
      const fin = finalStage(report);
      if (!fin?.imageId) return null;
      // Shared with the panel's Files view of the final stage: the image is exported once.
      const { report: contents } = await layerContents.get(fin.imageId, report, endpoint, signal);
      const names = (xs: { path: string }[]): string[] => [...new Set(xs.map((x) => x.path.split('/').pop() ?? x.path))].sort();
      const f = contents.surface;
      return { user: f.user || null, contentsKnown: true, compilers: names(f.compilers), packageManagers: names(f.packageManagers), shells: names(f.shells) };
    },
    async imageSizes(refs, endpoint, signal) {
      if (refs.length === 0) return {};
      const { connectEngine, localImageSizes } = await loadEngine();
      const { docker } = await connectEngine({ explicit: endpoint || undefined, signal });
      return localImageSizes(docker, refs);
    },
  };
}

function toAnalyzerEvent(e: EngineProgressEvent): AnalyzerEvent | null {
  switch (e.type) {
    case 'stage-start':
      return { type: 'stage', stageIndex: e.stage, label: e.name ?? `stage ${e.stage}`, position: e.position, total: e.count };
    case 'vertex':
      return {
        type: 'step', id: `${e.stage}:${e.id}`, name: e.name, cached: e.cached, started: e.started !== null, completed: e.completed !== null,
        durationMs: e.started !== null && e.completed !== null ? Math.max(0, e.completed - e.started) : null, error: e.error,
      };
    case 'log':
      return { type: 'log', text: e.text };
    case 'classic':
      return { type: 'log', text: e.text };
    case 'stage-finish':
      return { type: 'log', text: `${e.name ?? `stage ${e.stage}`}: ${e.error ? `failed: ${e.error.message}` : e.reused ? 'reused (unchanged since the last analysis)' : `built in ${Math.round(e.buildMs)} ms`}` };
    case 'context':
      return null;
  }
}

export function createSuggester(): Suggester {
  return {
    findings: (text, opts) => analyzeDockerfile(text, {
      report: opts.report ?? undefined,
      fixReports: opts.fixReports,
      disabledRules: opts.disabledRules,
      buildkit: opts.buildkit,
      contextFiles: opts.context ?? undefined,
      imageSizes: opts.imageSizes,
    }).map((f) => ({
      ...f,
      // Rule ids repeat (one per offending instruction); the editor needs one key per finding.
      id: `${f.id}@${f.range.start.line}:${f.range.start.character}`,
      rule: f.id,
    })),
    rewriteBases: (text, findings) => rewriteBasesOf(text, findings),
    refactorToMultiStage: (text) => {
      const r = refactorToMultiStage(text);
      return { text: r.text, edits: r.edits, summary: r.summary.join(' '), notes: r.notes, changed: r.changed };
    },
  };
}
