// Content hashing lives in core so the engine (image tags, report hash), the suggester (measured
// savings) and the editor (stale lenses) agree on what "the same Dockerfile" means. Every one of
// them decides it through `normalizeDockerfileText` — there is no second definition.
import { createHash } from 'node:crypto';

/**
 * The text as the builder sees it: a leading UTF-8 byte-order mark dropped (BuildKit and the
 * classic builder ignore it) and CRLF/CR line endings as LF (a Windows checkout builds alike).
 */
export function normalizeDockerfileText(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.replace(/\r\n?/g, '\n');
}

/** sha256 hex of the normalised text: the identity of "this Dockerfile" in reports and tags. */
export function dockerfileHash(text: string): string {
  return createHash('sha256').update(normalizeDockerfileText(text)).digest('hex');
}

/** Whether a report made from `analysed` still describes `current`. */
export function sameDockerfileText(analysed: string, current: string): boolean {
  return analysed === current || normalizeDockerfileText(analysed) === normalizeDockerfileText(current);
}
