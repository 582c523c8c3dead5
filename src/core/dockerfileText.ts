// What "the same Dockerfile" means, without hashing: pure string code so the view model (bundled
// into the webview, no Node built-ins) decides staleness by the same rule as core/hash.
/**
 * The text as the builder sees it: a leading UTF-8 byte-order mark dropped (BuildKit and the
 * classic builder ignore it) and CRLF/CR line endings as LF (a Windows checkout builds alike).
 */
export function normalizeDockerfileText(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.replace(/\r\n?/g, '\n');
}

/** Whether a report made from `analysed` still describes `current`. */
export function sameDockerfileText(analysed: string, current: string): boolean {
  return analysed === current || normalizeDockerfileText(analysed) === normalizeDockerfileText(current);
}
