// Content hashing lives in core so the engine (image tags) and the editor (stale lenses)
// agree on what "the same Dockerfile" means.
import { createHash } from 'node:crypto';

/** sha256 hex of the text with line endings normalised, so CRLF checkouts hash alike. */
export function dockerfileHash(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n?/g, '\n')).digest('hex');
}
