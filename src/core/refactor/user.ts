// The final stage should not run as root (hadolint DL3002). The edit mirrors the seed's
// advanced Dockerfile: a system group and user, then USER before the process starts.
import { baseChain, parseDockerfile, type ParsedDockerfile, type ParsedInstruction } from '../dockerfile/parse';
import { isBusyboxFamily, isShellless, officialName, parseImageRef, shippedUsers } from '../knowledge/images';
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

export type UserTools = 'shadow' | 'busybox' | 'passwd-file' | 'shellless';

/**
 * How a stage can create a user: shadow's groupadd/useradd (Debian, Ubuntu, RHEL), busybox's
 * addgroup/adduser -S (Alpine), writing /etc/passwd (plain busybox, whose builds may lack the
 * applets; ubi-minimal, which has no shadow-utils), or not at all (distroless, scratch).
 * The package manager a stage's RUNs use tells more than the image name.
 */
export function userToolsFor(df: ParsedDockerfile, stageIndex: number): UserTools {
  const chain = baseChain(df, stageIndex);
  const root = df.stages[chain[0]!]!.resolvedBaseImage;
  if (isShellless(root)) return 'shellless';
  if (/(^|\/)busybox$/.test(parseImageRef(root).repo)) return 'passwd-file';
  if (isBusyboxFamily(root)) return 'busybox';
  let pm: string | null = null;
  for (const i of chain) {
    for (const ins of df.stages[i]!.instructions) {
      if (ins.keyword !== 'RUN') continue;
      for (const seg of segments(runCommand(ins))) {
        const p = commandWords(seg).argv[0]?.replace(/^.*\//, '') ?? '';
        if (['apk', 'apt-get', 'apt', 'yum', 'dnf', 'microdnf'].includes(p)) pm ??= p;
      }
    }
  }
  if (pm === 'apk') return 'busybox';
  if (pm === 'microdnf' || /ubi\d*-minimal|ubi-micro/.test(parseImageRef(root).repo)) return 'passwd-file';
  return 'shadow';
}

function toolsOfImage(baseImage: string): UserTools {
  if (isShellless(baseImage)) return 'shellless';
  if (/(^|\/)busybox$/.test(parseImageRef(baseImage).repo)) return 'passwd-file';
  if (isBusyboxFamily(baseImage)) return 'busybox';
  return 'shadow';
}

/** The RUN that creates `user` with the tools the base has (no USER line). */
export function createUserLine(user: string, tools: UserTools): string | null {
  switch (tools) {
    case 'shellless': return null;
    case 'passwd-file': return `RUN echo '${user}:x:10001:10001:${user}:/nonexistent:/sbin/nologin' >> /etc/passwd && echo '${user}:x:10001:' >> /etc/group`;
    case 'busybox': return `RUN addgroup -S ${user} && adduser -S -G ${user} ${user}`;
    default: return `RUN groupadd -r ${user} && useradd -r -g ${user} ${user}`;
  }
}

/** Lines that create (when needed) and switch to a non-root user for the given base image. */
export function nonRootUserLines(baseImage: string, user = DEFAULT_USER, alreadyCreated = false, tools: UserTools = toolsOfImage(baseImage)): string[] {
  if (tools === 'shellless') {
    // distroless images ship a `nonroot` user (65532); scratch has no user database, so
    // a numeric id is the only thing that works there.
    const { registry } = parseImageRef(baseImage);
    return [registry === 'gcr.io' || parseImageRef(baseImage).repo.startsWith('chainguard/') ? 'USER nonroot:nonroot' : 'USER 65532:65532'];
  }
  if (alreadyCreated) return [`USER ${user}`];
  // The official node image ships an unprivileged `node` user (uid 1000) for exactly this.
  if (officialName(baseImage) === 'node' && user === DEFAULT_USER) return ['USER node'];
  return [createUserLine(user, tools)!, `USER ${user}`];
}

/** Users created by RUN lines of one stage (useradd/adduser names, /etc/passwd entries). */
function usersCreatedIn(ins: ParsedInstruction[]): string[] {
  const out: string[] = [];
  for (const i of ins) {
    if (i.keyword !== 'RUN') continue;
    const cmd = runCommand(i);
    for (const m of cmd.matchAll(/(?:^|[\s'"])([a-z_][\w.-]*):x:\d+:/gi)) out.push(m[1]!);
    for (const seg of segments(cmd)) {
      const { argv } = commandWords(seg);
      const prog = argv[0]?.replace(/^.*\//, '');
      if (prog !== 'useradd' && prog !== 'adduser') continue;
      const valued = new Set(['-g', '-G', '-u', '-s', '-d', '-h', '-c', '-k', '-K', '-e', '-f', '-p', '--gid', '--uid', '--shell', '--home', '--home-dir', '--gecos', '--ingroup', '--groups', '--comment']);
      let cand: string | null = null;
      for (let k = 1; k < argv.length; k++) {
        const a = argv[k]!;
        if (a.startsWith('-')) { if (valued.has(a)) k++; continue; }
        cand = a;
      }
      if (cand) out.push(cand);
    }
  }
  return out;
}

/**
 * Edits that create, in every stage, the users its `USER name` and `COPY --chown=name` use when
 * neither the stage, its base stages nor its base image provide them — a rewrite that moves a
 * `useradd` into the builder must not leave the runtime's USER pointing at nobody.
 */
export function ensureStageUsers(text: string, parsed?: ParsedDockerfile): TextEdit[] {
  const df = parsed ?? parseDockerfile(text);
  const eol = eolOf(text);
  const edits: TextEdit[] = [];
  for (const st of df.stages) {
    const chain = baseChain(df, st.index);
    const root = df.stages[chain[0]!]!.resolvedBaseImage;
    // Only images whose users are known: a private base may well ship the user already.
    if (!officialName(root) && !isShellless(root)) continue;
    const known = new Set(shippedUsers(root));
    for (const i of chain.slice(0, -1)) for (const u of usersCreatedIn(df.stages[i]!.instructions)) known.add(u);
    const tools = userToolsFor(df, st.index);
    for (const ins of st.instructions) {
      let names: string[] = [];
      if (ins.keyword === 'USER') names = [ins.args.trim().split(':')[0]!];
      if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
        const ch = ins.flags.find((f) => f.name === 'chown')?.value;
        if (ch) names = [ch.split(':')[0]!];
      }
      // One instruction at a time: linear in the stage length (huge generated files stay fast).
      for (const u of usersCreatedIn([ins])) known.add(u);
      for (const name of names) {
        if (!name || /^\d+$/.test(name) || /\$/.test(name) || known.has(name)) continue;
        const line = createUserLine(name, tools);
        known.add(name);
        if (!line) continue; // distroless/scratch: only numeric ids or its own users work; left as written
        const pos = { line: ins.range.start.line, character: 0 };
        edits.push({ range: { start: pos, end: pos }, newText: line + eol });
      }
    }
  }
  return edits;
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
  const lines = nonRootUserLines(finalRootImage(df), existing ?? user, existing !== null, userToolsFor(df, last.index));
  let anchor: ParsedInstruction = last.from;
  for (const ins of last.instructions) if (['RUN', 'COPY', 'ADD', 'USER'].includes(ins.keyword)) anchor = ins;
  const eol = eolOf(text);
  const pos = anchor.range.end;
  return [{ range: { start: pos, end: pos }, newText: eol + lines.join(eol) }];
}
