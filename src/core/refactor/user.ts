// The final stage should not run as root (hadolint DL3002). The edit mirrors the seed's
// advanced Dockerfile: a system group and user, then USER before the process starts.
import { baseChain, parseDockerfile, type ParsedDockerfile, type ParsedInstruction } from '../dockerfile/parse';
import { isBusyboxFamily, isShellless, parseImageRef } from '../knowledge/images';
import { commandWords, runCommand, segments } from '../knowledge/shell';
import { eolOf, type TextEdit } from './edits';

export const DEFAULT_USER = 'appuser';

export function isRootUser(u: string | null): boolean {
  return u === null || /^(root|0)(:(root|0))?$/.test(u.trim());
}

/** The USER in effect at the end of the final stage (following FROM <stage> chains), or null. */
export function finalUser(df: ParsedDockerfile): { user: string | null; ins: ParsedInstruction | null } {
  const last = df.stages[df.stages.length - 1];
  if (!last) return { user: null, ins: null };
  let user: string | null = null;
  let at: ParsedInstruction | null = null;
  for (const i of baseChain(df, last.index)) {
    for (const ins of df.stages[i]!.instructions) if (ins.keyword === 'USER') { user = ins.args.trim(); at = ins; }
  }
  return { user, ins: at };
}

/** The root image of the final stage (after following FROM <stage>). */
export function finalRootImage(df: ParsedDockerfile): string {
  const last = df.stages[df.stages.length - 1];
  if (!last) return '';
  const chain = baseChain(df, last.index);
  return df.stages[chain[0]!]!.resolvedBaseImage;
}

/** Users created by `useradd`/`adduser` in the final chain (the last one wins). */
function createdUser(df: ParsedDockerfile): string | null {
  const last = df.stages[df.stages.length - 1];
  if (!last) return null;
  let name: string | null = null;
  for (const i of baseChain(df, last.index)) {
    for (const ins of df.stages[i]!.instructions) {
      if (ins.keyword !== 'RUN') continue;
      for (const seg of segments(runCommand(ins))) {
        const { argv } = commandWords(seg);
        const prog = argv[0]?.replace(/^.*\//, '');
        if (prog !== 'useradd' && prog !== 'adduser') continue;
        const valued = new Set(['-g', '-G', '-u', '-s', '-d', '-h', '-c', '-k', '-K', '-e', '-f', '-p', '--gid', '--uid', '--shell', '--home', '--home-dir', '--gecos', '--ingroup', '--groups']);
        let cand: string | null = null;
        for (let k = 1; k < argv.length; k++) {
          const a = argv[k]!;
          if (a.startsWith('-')) { if (valued.has(a)) k++; continue; }
          cand = a;
        }
        if (cand && /^[a-z_][a-z0-9_-]*\$?$/i.test(cand)) name = cand;
      }
    }
  }
  return name;
}

/** Lines that create (when needed) and switch to a non-root user for the given base image. */
export function nonRootUserLines(baseImage: string, user = DEFAULT_USER, alreadyCreated = false): string[] {
  if (isShellless(baseImage)) {
    // distroless images ship a `nonroot` user (65532); scratch has no user database, so
    // a numeric id is the only thing that works there.
    const { registry } = parseImageRef(baseImage);
    return [registry === 'gcr.io' ? 'USER nonroot:nonroot' : 'USER 65532:65532'];
  }
  if (alreadyCreated) return [`USER ${user}`];
  // Busybox builds differ in their applets (Debian's busybox-static has no adduser/addgroup), so
  // a plain busybox image gets the passwd/group entries written directly; Alpine has the applets.
  if (/(^|\/)busybox$/.test(parseImageRef(baseImage).repo)) {
    return [`RUN echo '${user}:x:10001:10001:${user}:/nonexistent:/bin/false' >> /etc/passwd && echo '${user}:x:10001:' >> /etc/group`, `USER ${user}`];
  }
  if (isBusyboxFamily(baseImage)) return [`RUN addgroup -S ${user} && adduser -S -G ${user} ${user}`, `USER ${user}`];
  return [`RUN groupadd -r ${user} && useradd -r -g ${user} ${user}`, `USER ${user}`];
}

/**
 * Edits that make the final stage run as a non-root user; none when it already does.
 * Inserted after the stage's last RUN/COPY/ADD/USER so earlier steps keep running as root.
 */
export function addNonRootUser(text: string, parsed?: ParsedDockerfile, user = DEFAULT_USER): TextEdit[] {
  const df = parsed ?? parseDockerfile(text);
  const last = df.stages[df.stages.length - 1];
  if (!last) return [];
  const current = finalUser(df);
  if (!isRootUser(current.user)) return [];
  const existing = createdUser(df);
  const lines = nonRootUserLines(finalRootImage(df), existing ?? user, existing !== null);
  let anchor: ParsedInstruction = last.from;
  for (const ins of last.instructions) if (['RUN', 'COPY', 'ADD', 'USER'].includes(ins.keyword)) anchor = ins;
  const eol = eolOf(text);
  const pos = anchor.range.end;
  return [{ range: { start: pos, end: pos }, newText: eol + lines.join(eol) }];
}
