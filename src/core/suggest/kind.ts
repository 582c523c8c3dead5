// What kind of image a Dockerfile makes, as far as its text tells. Rules about how an image
// runs (root user, caches in a user's home) are right for an application image and wrong for
// images that other images build FROM, that run on Windows, or that drop privileges themselves.
import { baseChain, type ParsedDockerfile, type ParsedInstruction, type ParsedStage } from '../dockerfile/parse';
import { copyOperands, runCommand } from '../knowledge/shell';
import { officialName, parseImageRef } from '../knowledge/images';
import { imageKind as rewriteKind } from '../refactor/kind';

export type ImageTrait =
  /** Runs on Windows containers: no Linux users, no Linux paths. */
  | 'windows'
  /** Has ONBUILD triggers: a template other Dockerfiles build FROM. */
  | 'onbuild'
  /** An official-image style base or toolchain (a runtime installed at a pinned version, no application). */
  | 'base'
  /** Its entrypoint drops privileges itself (gosu, su-exec, setpriv, …). */
  | 'drops-privileges'
  /** A server that binds ports below 1024 as root by design and runs its workers unprivileged (php:apache, nginx, httpd). */
  | 'privileged-port'
  /** The base image already runs as a non-root user (distroless :nonroot, chiseled .NET, Jupyter stacks). */
  | 'nonroot-base'
  /** The final stage is a development environment (named dev, dev-envs, devcontainer…): tools and dev dependencies are its point. */
  | 'development'
  /** An application that EXPOSEs a port below 1024 (a non-root USER could not bind it as written). */
  | 'exposes-low-port';

export interface ImageKind {
  traits: Set<ImageTrait>;
  /** One sentence per trait, for notes and messages. */
  why: Partial<Record<ImageTrait, string>>;
  /** Why the rewrite (refactor/kind.ts) leaves this image without USER, or null when it adds one. */
  rewriteLeavesUser: string | null;
}

const WINDOWS_IMAGE = /(^|[/:_-])(windows|nanoserver|servercore|windowsservercore)([/:_.-]|$)/i;
// Operating-system and builder bases an official image starts from (possibly arch-prefixed: amd64/debian).
const OS_BASES = new Set(['debian', 'ubuntu', 'alpine', 'busybox', 'buildpack-deps', 'centos', 'fedora', 'oraclelinux', 'amazonlinux',
  'rockylinux', 'almalinux', 'photon', 'opensuse/leap', 'archlinux', 'clearlinux', 'mageia', 'scratch']);
const PRIV_DROP = /(^|[\s/;&|"'])(gosu|su-exec|setpriv|runuser|s6-setuidgid|chpst|setuidgid)(\s|$|["',\]])|chroot\s+--userspec/;
const NONROOT_BASES: ((ref: string) => boolean)[] = [
  (r) => /(^|\/)distroless\//.test(r) && /:(\S*-)?nonroot$/.test(r),
  (r) => /^mcr\.microsoft\.com\/dotnet\/.*-chiseled/.test(r),
  (r) => /(^|\/)jupyter\/[\w-]+-notebook(:|$)/.test(r) || /^quay\.io\/jupyter\//.test(r),
  (r) => /(^|\/)nginx-unprivileged(:|$)/.test(r) || /^bitnami\//.test(r) || /^cgr\.dev\/chainguard\//.test(r),
];

function isOsBase(ref: string): boolean {
  const trimmed = ref.trim();
  if (trimmed === 'scratch' || trimmed.includes('$')) return true; // a `$REPO` base is a family of images built in a matrix
  const { repo, registry } = parseImageRef(trimmed);
  if (WINDOWS_IMAGE.test(trimmed)) return true;
  const bare = repo.replace(/^(amd64|arm64v8|arm32v[567]|i386|ppc64le|s390x|riscv64|library)\//, '');
  if (OS_BASES.has(bare)) return true;
  // Vendor mirrors of the distributions (ubuntu.azurecr.io/ubuntu, public.ecr.aws/docker/library/debian).
  return registry !== null && OS_BASES.has(bare.replace(/^.*\//, ''));
}

const isWholeContextCopy = (ins: ParsedInstruction): boolean => (ins.keyword === 'COPY' || ins.keyword === 'ADD') && !ins.flags.some((f) => f.name === 'from')
  && (copyOperands(ins)?.sources.some((s) => ['.', './', '*', './*'].includes(s)) ?? false);

/** Classifies the image the final stage makes. */
export function imageKind(df: ParsedDockerfile): ImageKind {
  const traits = new Set<ImageTrait>();
  const why: ImageKind['why'] = {};
  const final = df.stages[df.stages.length - 1];
  if (!final) return { traits, why, rewriteLeavesUser: null };
  const chain: ParsedStage[] = baseChain(df, final.index).map((i) => df.stages[i]!);
  const root = chain[0]!;
  const rootImage = root.resolvedBaseImage;
  const ins = chain.flatMap((s) => s.instructions);
  const add = (t: ImageTrait, reason: string): void => { traits.add(t); why[t] ??= reason; };
  let rewriteLeavesUser: string | null = null;
  // The rewrite's verdict first, so a finding never asks for the USER the rewrite leaves out.
  const verdict = rewriteKind(df);
  // An application that merely EXPOSEs port 80 still runs as root by choice, not by design: the
  // finding stays (without the USER fix, which would stop it binding the port).
  if (verdict.kind === 'privileged-port' && /^it exposes port/.test(verdict.reason)) add('exposes-low-port', verdict.reason);
  else if (verdict.kind !== 'app') rewriteLeavesUser = verdict.reason;

  const shellIsWindows = ins.some((i) => i.keyword === 'SHELL' && /powershell|pwsh|cmd(\.exe)?["\s]/i.test(i.args));
  if (WINDOWS_IMAGE.test(rootImage) || WINDOWS_IMAGE.test(root.baseImage) || df.escapeChar === '`' || shellIsWindows) {
    add('windows', 'it runs on Windows containers, where Linux users and paths do not exist');
  }
  if (ins.some((i) => i.keyword === 'ONBUILD')) add('onbuild', 'it is an ONBUILD template: the image that builds FROM it decides how it runs');

  const versionEnv = ins.some((i) => (i.keyword === 'ENV') && /(^|\s)[A-Z][A-Z0-9_]*_VERSION[=\s]/.test(i.args));
  // Official images verify what they download (sha256sum -c, gpg --verify) and copy no application.
  const verifies = df.instructions.some((i) => i.keyword === 'RUN' && /sha(256|512)sum\s+(-c|--check|--strict)|gpg\s+(--batch\s+)?--verify|Get-FileHash/i.test(runCommand(i)));
  if (!ins.some(isWholeContextCopy) && versionEnv && (isOsBase(rootImage) || verifies)) {
    add('base', 'it is a base or toolchain image (a runtime installed at a pinned version, no application): the images built FROM it choose their user');
  }

  const mentionsDrop = ins.some((i) => (i.keyword === 'RUN' && PRIV_DROP.test(runCommand(i)))
    || ((i.keyword === 'COPY' || i.keyword === 'ADD') && /gosu|su-exec/.test(i.args))
    || ((i.keyword === 'ENTRYPOINT' || i.keyword === 'CMD') && PRIV_DROP.test(i.args)));
  if (mentionsDrop) add('drops-privileges', 'its entrypoint drops privileges itself (gosu, su-exec, setpriv): it must start as root');

  const off = officialName(rootImage);
  const tag = parseImageRef(rootImage).tag ?? '';
  if (off === 'php' && tag.includes('fpm')) add('drops-privileges', 'php-fpm starts as root and runs its pool workers as www-data by design');
  if (/^(dev|devel|develop|development|dev-?envs?|devcontainer)$/.test(final.name ?? '')) add('development', `its final stage "${final.name}" is a development environment`);
  if ((off === 'php' && tag.includes('apache')) || off === 'httpd' || off === 'nginx' || off === 'traefik' || off === 'caddy') {
    add('privileged-port', `it serves on ports below 1024 as root by design (${off}) and runs its workers unprivileged`);
  }
  if (NONROOT_BASES.some((p) => p(rootImage))) add('nonroot-base', `${rootImage} already runs as a non-root user`);
  return { traits, why, rewriteLeavesUser };
}

/** Whether "add a non-root user" advice is wrong for this image, and why. */
export function userAdviceDoesNotApply(kind: ImageKind): string | null {
  // Never ask for the USER the rewrite deliberately leaves out.
  if (kind.rewriteLeavesUser) return kind.rewriteLeavesUser;
  for (const t of ['windows', 'onbuild', 'base', 'drops-privileges', 'privileged-port', 'nonroot-base', 'development'] as const) {
    if (kind.traits.has(t)) return kind.why[t]!;
  }
  return null;
}

/** Whether size advice about the final image's contents (toolchains, dev dependencies, a full base) is wrong for this image, and why. */
export function contentAdviceDoesNotApply(kind: ImageKind): string | null {
  for (const t of ['base', 'onbuild', 'development'] as const) if (kind.traits.has(t)) return kind.why[t]!;
  return null;
}
