// Every engine error Stage Lens explains, in one place: what the engine said, what it means on
// the engine and builder at hand, and the fix. analyze/build-stage only pass messages through
// here, so an engine difference in error text is handled once.
import type { ParsedDockerfile } from '../core/dockerfile/parse';

export interface ExplainedBuildError {
  message: string;
  line: number | null;
  /** true: the failure is not this stage's (frontend, context): every later stage fails alike. */
  global: boolean;
}

export interface MissingBase { image: string; line: number | null }

function syntaxLine(text: string): number | null {
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (/^#\s*syntax\s*=/i.test(l)) return i + 1;
    if (l && !l.startsWith('#')) break;
  }
  return null;
}

/**
 * The engine claims BuildKit through its API version yet has it switched off (`DOCKER_BUILDKIT=0`
 * daemons, some remote engines): the analysis falls back to the classic builder.
 */
export function isBuildkitUnavailable(message: string | null): boolean {
  return !!message && /buildkit.*not supported|not supported.*buildkit/i.test(message);
}

/**
 * Docker 26.1 with the containerd image store cannot read a tar-body context with BuildKit:
 * its BuildKit looks the context up as `http://build-context-<id>`. Only a BuildKit session
 * (what buildx sends) or the classic builder work there.
 */
export function isTarContextUnreadable(message: string | null): boolean {
  return !!message && /build-context-[a-z0-9]+/i.test(message) && /no such host|failed to read downloaded context/i.test(message);
}

/** A BuildKit vertex `[internal] load metadata for IMAGE` that failed: that base image is missing. */
export function missingBaseOfVertex(name: string, error: string | null): string | null {
  if (!error) return null;
  return /^\[internal\] load metadata for (\S+)/.exec(name)?.[1] ?? null;
}

/**
 * Buildah (Podman) ends a failed RUN with `… while running runtime: exit status 7`, BuildKit with
 * `… did not complete successfully: exit code: 7`. The exit code of a Buildah failure, else null.
 */
export function buildahExitStatus(message: string): number | null {
  const m = /building at STEP "[^]*?exit status (\d+)\s*$/.exec(message);
  return m ? Number(m[1]) : null;
}

/** Rewrites engine build errors that have a known, plain cause; null when there is none. */
export function explainBuildError(df: ParsedDockerfile, message: string, missingBase: MissingBase | null): ExplainedBuildError | null {
  if (df.syntax && (message.includes(df.syntax) || /frontend|gateway/i.test(message)) && !/dockerfile\.v0: failed to create LLB/.test(message)) {
    return {
      message: `the \`# syntax=\` directive makes BuildKit pull ${df.syntax}, which failed: remove the line (cache mounts work without it on Docker ≥ 20.10) or make the image available locally. Engine: ${message}`,
      line: syntaxLine(df.text), global: true,
    };
  }
  if (isTarContextUnreadable(message)) {
    return {
      message: `this engine's BuildKit cannot read a build context sent as a tar body (Docker 26 with the containerd image store): use --builder classic (setting stageLens.build.builder) or a newer Docker. Engine: ${message}`,
      line: null, global: true,
    };
  }
  const status = buildahExitStatus(message);
  if (status !== null) {
    // Said as BuildKit says it, so a failed RUN reads the same on every engine (and greps alike).
    return { message: `the command did not complete successfully: exit code: ${status}. Engine (Buildah): ${message}`, line: null, global: false };
  }
  if (missingBase) {
    return {
      message: `the base image ${missingBase.image} is not in the engine and could not be pulled: load or build it there first, or check the name. Engine: ${message}`,
      line: missingBase.line, global: false,
    };
  }
  return null;
}

/** A stage that built but could not be measured (inspect/history failed). */
export function measureFailedMessage(detail: string): string {
  return `built, but measuring the image failed: ${detail}`;
}
