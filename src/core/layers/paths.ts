// Tar entry names are bytes. They are only ever reported, never used to touch a filesystem, so
// the job here is a faithful, unambiguous display string and a normalised absolute path.

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns a name tar-stream decoded as latin1 (so every byte survived as one char) back into text:
 * valid UTF-8 is decoded, anything else keeps its ASCII and shows other bytes as `\xNN`.
 */
export function decodeRawName(latin1: string): string {
  let ascii = true;
  for (let i = 0; i < latin1.length; i++) if (latin1.charCodeAt(i) > 0x7f) { ascii = false; break; }
  if (ascii) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    let s = '';
    for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    return s;
  }
}

/** Path components of a tar name, with `.`/empty parts dropped and `..` never above the root. */
export function splitPath(name: string): string[] {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') { out.pop(); continue; }
    out.push(part);
  }
  return out;
}

export function joinPath(parts: readonly string[]): string {
  return '/' + parts.join('/');
}

/** Octal mode text like `4755` (permission and special bits only). */
export function modeString(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
