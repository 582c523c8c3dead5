// Binds the service interfaces to the domain modules. Modules that have not landed yet are
// represented by stand-ins that explain themselves instead of failing obscurely.
import { refactorToMultiStage } from '../core/refactor';
import { analyzeDockerfile } from '../core/suggest';
import type { Analyzer, Suggester } from './services';
import { UserFacingError } from './services';

export function createAnalyzer(): Analyzer {
  const missing = (): never => {
    throw new UserFacingError('This build of Stage Lens has no Docker engine module.', 'Install a release build of Stage Lens.');
  };
  return {
    analyze: async () => missing(),
    cleanUp: async () => missing(),
    listEndpoints: async () => [],
  };
}

export function createSuggester(): Suggester {
  return {
    findings: (text, opts) => analyzeDockerfile(text, {
      report: opts.report ?? undefined,
      disabledRules: opts.disabledRules,
      buildkit: opts.buildkit,
      contextFiles: opts.context ?? undefined,
    }).map((f) => ({
      ...f,
      // Rule ids repeat (one per offending instruction); the editor needs one key per finding.
      id: `${f.id}@${f.range.start.line}:${f.range.start.character}`,
      rule: f.id,
    })),
    refactorToMultiStage: (text) => {
      const r = refactorToMultiStage(text);
      return { text: r.text, edits: r.edits, summary: r.summary.join(' '), notes: r.notes, changed: r.changed };
    },
  };
}
