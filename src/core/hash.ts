// Content hashing lives in core so the engine (image tags, report hash), the suggester (measured
// savings) and the editor (stale lenses) agree on what "the same Dockerfile" means. Every one of
// them decides it through `normalizeDockerfileText` — there is no second definition.
import { createHash } from 'node:crypto';
import { normalizeDockerfileText } from './dockerfileText';

// Re-exported so callers that hash and compare import one module; the view imports dockerfileText.
export { normalizeDockerfileText, sameDockerfileText } from './dockerfileText';

/** sha256 hex of the normalised text: the identity of "this Dockerfile" in reports and tags. */
export function dockerfileHash(text: string): string {
  return createHash('sha256').update(normalizeDockerfileText(text)).digest('hex');
}
