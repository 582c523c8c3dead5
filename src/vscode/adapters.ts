// Binds the service interfaces to the domain modules. Modules that have not landed yet are
// represented by stand-ins that explain themselves instead of failing obscurely.
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
    findings: () => [],
    refactorToMultiStage: () => null,
  };
}
