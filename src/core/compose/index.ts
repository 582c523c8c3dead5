// Compose projects: parse (per file, interpolated), merge (-f order), resolve builds, plan one
// analysis per distinct build, and the compose report. No file system here: the glue reads the
// files and passes their text in.
export { interpolate, InterpolationError, type Variables } from './interpolate';
export { parseDotenv, projectVariables, DotenvError } from './dotenv';
export { parseComposeFile, ComposeError, type ComposeFile, type ServiceSection, type BuildSection } from './parse';
export { mergeComposeFiles, resolveProject, selectServices, planAnalyses, jobKey, type ComposeProject, type ServiceBuild, type AnalysisJob } from './project';
export { analyzeServices, summarizeService, pullBytesOf, COMPOSE_SCHEMA_VERSION, type ComposeReport, type ComposeServiceReport, type ServiceSummary } from './report';

/** File names Compose looks for, in its order, when no -f is given (first found wins). */
export const DEFAULT_COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

/** The override file Compose merges on top of a default file found in the same folder. */
export function overrideFileFor(name: string): string {
  return name.replace(/\.(ya?ml)$/, '.override.$1');
}
