// The official-image slim mapping, in one place so rules, the rewrite and the docs agree.
// Sizes are rough uncompressed amd64 sizes as `docker images` shows them for current tags
// (late 2024 – 2025); they only feed *estimates* and are labelled as such everywhere.

export interface ImageRef {
  /** Registry host when one is given (`gcr.io`), else null (Docker Hub). */
  registry: string | null;
  /** Repository path without registry, e.g. `library/python` → `python`, `bitnami/node`. */
  repo: string;
  tag: string | null;
  digest: string | null;
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) { digest = rest.slice(at + 1); rest = rest.slice(0, at); }
  let registry: string | null = null;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') { registry = first; rest = rest.slice(slash + 1); }
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon); }
  if (registry === 'docker.io' || registry === 'index.docker.io') registry = null;
  if (registry === null && rest.startsWith('library/')) rest = rest.slice('library/'.length);
  return { registry, repo: rest, tag, digest };
}

/** Official Docker Hub image name (`python`), or null for anything else. */
export function officialName(ref: string): string | null {
  const r = parseImageRef(ref);
  return r.registry === null && !r.repo.includes('/') ? r.repo.toLowerCase() : null;
}

export type SlimKind =
  /** Same distribution and language runtime, fewer packages: a drop-in for running the app. */
  | 'variant'
  /** A runtime-only image: only right for a final stage that receives a built artefact. */
  | 'runtime';

export interface SlimSuggestion {
  image: string;
  kind: SlimKind;
  /** Rough bytes saved (estimate). */
  estimateBytes: number | null;
  why: string;
}

const MB = 1_000_000;
const DEBIAN_CODENAMES = ['trixie', 'bookworm', 'bullseye', 'buster'];
const isSmallTag = (t: string): boolean => /(^|-)(slim|alpine|minimal|distroless|jre|windowsservercore|nanoserver)/.test(t);

/** `3.12` → `3.12-slim`, `3.12-bookworm` → `3.12-slim-bookworm`, `latest`/none → `slim`. */
function slimTagPythonStyle(tag: string | null): string {
  if (!tag || tag === 'latest') return 'slim';
  for (const c of DEBIAN_CODENAMES) {
    if (tag === c) return `slim-${c}`;
    if (tag.endsWith(`-${c}`)) return `${tag.slice(0, -c.length - 1)}-slim-${c}`;
  }
  return `${tag}-slim`;
}

/** Java major version named by a JDK/build-tool image tag (`21-jdk`, `3.9-eclipse-temurin-17`, `8-jdk17`). */
export function javaMajor(repo: string, tag: string | null): string | null {
  if (!tag) return null;
  const m = /(?:temurin-|jdk-?|openjdk-?|corretto-?)(\d{1,2})(?!\d)/.exec(tag);
  if (m) return m[1]!;
  if (repo === 'eclipse-temurin' || repo === 'openjdk') { const n = /^(\d{1,2})(?![\d])/.exec(tag); if (n) return n[1]!; }
  return null;
}

/** Debian codename a tag is built on, when it says (`1.79-bullseye` → `bullseye`). */
export function debianCodename(tag: string | null): string | null {
  if (!tag) return null;
  return DEBIAN_CODENAMES.find((c) => tag === c || tag.includes(`-${c}`) || tag.startsWith(`${c}-`)) ?? null;
}

/**
 * The smaller official equivalent of `ref`, or null when there is none (already small,
 * not an official image, or no honest equivalent).
 */
export function slimFor(ref: string): SlimSuggestion | null {
  const name = officialName(ref);
  if (!name) return null;
  const { tag, digest } = parseImageRef(ref);
  if (digest) return null; // pinned by digest: changing it is the user's call
  if (tag && /\$/.test(tag)) return null;
  const t = tag ?? '';
  switch (name) {
    // python/ruby: `-slim` is the same Debian release and interpreter build without the
    // buildpack-deps layers (compilers, headers, VCS tools) — the seed's own choice.
    case 'python':
      if (isSmallTag(t)) return null;
      return { image: `python:${slimTagPythonStyle(tag)}`, kind: 'variant', estimateBytes: 880 * MB, why: 'same interpreter on Debian slim, without compilers and headers' };
    case 'ruby':
      if (isSmallTag(t)) return null;
      return { image: `ruby:${slimTagPythonStyle(tag)}`, kind: 'variant', estimateBytes: 780 * MB, why: 'same Ruby on Debian slim, without the buildpack-deps toolchain' };
    // node spells the codename first: `20-bookworm-slim`.
    case 'node': {
      if (isSmallTag(t)) return null;
      const slimTag = !tag || tag === 'latest' ? 'slim' : `${tag}-slim`;
      return { image: `node:${slimTag}`, kind: 'variant', estimateBytes: 900 * MB, why: 'same Node.js on Debian slim, without the buildpack-deps toolchain' };
    }
    // php has no Debian slim variant; Alpine is the small official one, but it uses musl,
    // so extensions built for glibc must be rebuilt — hence only a hint.
    case 'php':
      if (isSmallTag(t)) return null;
      if (t.includes('apache')) return null; // no Alpine apache variant
      return { image: `php:${t && t !== 'latest' ? `${t}-alpine` : 'alpine'}`, kind: 'variant', estimateBytes: 380 * MB, why: 'Alpine variant of the same PHP (musl: rebuild native extensions)' };
    // debian: `-slim` drops docs, man pages and locales; same packages otherwise.
    case 'debian':
      if (isSmallTag(t)) return null;
      return { image: `debian:${!tag || tag === 'latest' ? 'stable-slim' : `${tag}-slim`}`, kind: 'variant', estimateBytes: 42 * MB, why: 'Debian without docs, man pages and locales' };
    // ubuntu: the official image is already a minimal root filesystem and has no slim tag;
    // suggesting another distribution would not be an equivalent, so no mapping.
    case 'ubuntu':
      return null;
    // golang: the toolchain is ~800 MB; a CGO_ENABLED=0 binary needs only CA certs and
    // tzdata, which distroless/static carries (scratch carries nothing).
    case 'golang':
      return { image: 'gcr.io/distroless/static-debian12:nonroot', kind: 'runtime', estimateBytes: 800 * MB, why: 'a static Go binary needs no toolchain; distroless/static (or scratch) is enough' };
    // rust: release binaries link glibc dynamically by default, so the runtime must be the
    // same Debian release, slim; Alpine-based rust images produce musl binaries.
    case 'rust': {
      if (t.includes('alpine')) {
        const v = /alpine(\d+\.\d+)/.exec(t)?.[1];
        return { image: `alpine:${v ?? '3'}`, kind: 'runtime', estimateBytes: 700 * MB, why: 'a musl release binary runs on plain Alpine without the toolchain' };
      }
      const codename = debianCodename(tag) ?? 'bookworm';
      return { image: `debian:${codename}-slim`, kind: 'runtime', estimateBytes: 1400 * MB, why: 'a release binary needs only the same glibc, on Debian slim' };
    }
    // JDK → JRE of the same major version: running a jar needs no compiler.
    case 'eclipse-temurin': {
      if (isSmallTag(t)) return null;
      const major = javaMajor(name, tag);
      if (!major) return null;
      const suffix = /-jdk-(\w+)$/.exec(t)?.[1] ?? (/-(jammy|noble|focal|alpine|ubi9-minimal)$/.exec(t)?.[1] ?? null);
      return { image: `eclipse-temurin:${major}-jre${suffix ? `-${suffix}` : ''}`, kind: 'variant', estimateBytes: 190 * MB, why: 'a JRE runs the application; the JDK\'s compiler and tools are only needed to build' };
    }
    // openjdk images are deprecated upstream and have no JRE tags for current releases;
    // Eclipse Temurin is the maintained successor with JRE tags.
    case 'openjdk': {
      if (t.includes('jre')) return null;
      const major = javaMajor(name, tag);
      if (!major) return null;
      return { image: `eclipse-temurin:${major}-jre`, kind: 'variant', estimateBytes: 250 * MB, why: 'openjdk images are deprecated; Temurin\'s JRE runs the same bytecode' };
    }
    // maven/gradle: build tools; a final stage on them ships the whole build toolchain.
    case 'maven':
    case 'gradle': {
      const major = javaMajor(name, tag);
      if (!major) return null;
      return { image: `eclipse-temurin:${major}-jre`, kind: 'runtime', estimateBytes: 400 * MB, why: `${name} and the JDK are build tools; the jar runs on a JRE` };
    }
    default:
      return null;
  }
}

/** Images that are toolchains rather than runtimes (their final stage ships a compiler). */
export function isToolchainImage(ref: string): boolean {
  const n = officialName(ref);
  return n === 'golang' || n === 'rust' || n === 'maven' || n === 'gradle';
}

/** Alpine/busybox-based images use `addgroup`/`adduser` (busybox) rather than shadow's `useradd`. */
export function isBusyboxFamily(ref: string): boolean {
  const { repo, tag } = parseImageRef(ref);
  const r = repo.toLowerCase();
  return r === 'alpine' || r === 'busybox' || r.endsWith('/busybox') || r.endsWith('/alpine') || (tag ?? '').includes('alpine');
}

/** Images with no shell and no user database tools (distroless, scratch). */
export function isShellless(ref: string): boolean {
  const { registry, repo } = parseImageRef(ref);
  return ref.trim() === 'scratch' || (registry === 'gcr.io' && repo.startsWith('distroless/')) || repo.startsWith('chainguard/static');
}

/** Node.js major version an official `node` tag names (`14-alpine` → 14), or null (latest, lts, ARG). */
export function nodeMajor(ref: string): number | null {
  if (officialName(ref) !== 'node') return null;
  const m = /^(\d+)(?=$|[.-])/.exec(parseImageRef(ref).tag ?? '');
  return m ? Number(m[1]) : null;
}

/** Users an image ships already (so `USER name` needs no useradd), besides the ones every Linux has. */
export function shippedUsers(ref: string): string[] {
  const n = officialName(ref) ?? '';
  const { registry, repo } = parseImageRef(ref);
  const users = ['root', 'nobody', 'daemon', 'bin', 'sys'];
  if (!isBusyboxFamily(ref) && !isShellless(ref)) users.push('www-data');
  if (isBusyboxFamily(ref)) users.push('www-data', 'guest');
  if (n === 'node') users.push('node');
  if (n === 'nginx') users.push('nginx');
  if (n === 'postgres') users.push('postgres');
  if (n === 'redis') users.push('redis');
  if (n === 'mysql' || n === 'mariadb') users.push('mysql');
  if (n === 'ubuntu') users.push('ubuntu');
  if (isShellless(ref) || repo.startsWith('chainguard/')) users.push('nonroot');
  if (registry === 'mcr.microsoft.com' && repo.startsWith('dotnet/')) users.push('app');
  return users;
}

/**
 * ENV an official image sets that Dockerfiles often use (`$GOPATH/bin`): a rewrite that moves an
 * instruction to another base must write the value out, because the new base does not set it.
 */
export function imageEnv(ref: string): Record<string, string> {
  switch (officialName(ref)) {
    case 'golang': return { GOPATH: '/go', GOTOOLCHAIN: 'local' };
    case 'rust': return { CARGO_HOME: '/usr/local/cargo', RUSTUP_HOME: '/usr/local/rustup' };
    case 'maven': return { MAVEN_HOME: '/usr/share/maven', JAVA_HOME: '/opt/java/openjdk' };
    case 'gradle': return { GRADLE_HOME: '/opt/gradle', JAVA_HOME: '/opt/java/openjdk' };
    case 'eclipse-temurin': return { JAVA_HOME: '/opt/java/openjdk' };
    case 'openjdk': return { JAVA_HOME: '/usr/local/openjdk' };
    default: return {};
  }
}

/** The distribution a Linux image is built on, by name (null when the name does not say). */
export function distroOfImage(ref: string): { family: 'debian' | 'ubuntu' | 'alpine'; release: string | null } | null {
  const { repo, tag } = parseImageRef(ref);
  const t = tag ?? '';
  if (isBusyboxFamily(ref)) return { family: 'alpine', release: /alpine(\d+\.\d+)/.exec(t)?.[1] ?? null };
  if (repo === 'ubuntu' || /(^|-)(jammy|noble|focal|bionic)(-|$)/.test(t)) return { family: 'ubuntu', release: /(jammy|noble|focal|bionic)/.exec(t)?.[1] ?? null };
  const codename = debianCodename(t);
  if (repo === 'debian' || codename) return { family: 'debian', release: codename };
  // Official language images without a codename in the tag are on the current Debian.
  if (['python', 'node', 'ruby', 'golang', 'rust', 'php', 'perl', 'buildpack-deps'].includes(officialName(ref) ?? '')) return { family: 'debian', release: null };
  return null;
}
