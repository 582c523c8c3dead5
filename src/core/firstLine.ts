// One rule for "show the first line of this, shortened" (error messages, layer commands, stage
// failures), so the editor, tree and panel cut text the same way; each caller picks the width.

/**
 * The first non-blank line of `text`, trimmed, cut to at most `maxChars` characters (ending in
 * "…" when cut). `skipStackFrames` also skips `at …` lines, for messages that carry a stack.
 */
export function firstLineOf(text: string, maxChars: number, opts: { skipStackFrames?: boolean } = {}): string {
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !(opts.skipStackFrames && /^at\s/.test(l))) ?? '';
  return line.length > maxChars ? `${line.slice(0, Math.max(0, maxChars - 1))}…` : line;
}
