// The AnalysisReport: the single source of truth for every view and for `--json`.
// Outside tools rely on the shape below (DESIGN.md); add fields, never rename or remove
// them without bumping SCHEMA_VERSION.

// 2: sizes are unpacked sizes (sum of the layers' uncompressed sizes) on every image store;
// `pullSizeBytes` (compressed content size), `engine.product` and `engine.store` are new;
// `engine.builder` may be 'buildah' (Podman).
export const SCHEMA_VERSION = 2;

/** 'buildah': Podman's /build, which builds with Buildah whatever `version` asks for. */
export type BuilderKind = 'buildkit' | 'classic' | 'buildah';

/** Who answers on the endpoint: Docker Engine, or Podman's Docker-compatible service. */
export type EngineProduct = 'docker' | 'podman';

export interface EngineInfo {
  /** The endpoint used, e.g. `unix:///var/run/docker.sock`. */
  endpoint: string;
  /** Where the endpoint came from: setting/flag, DOCKER_HOST, a context, or the default. */
  endpointSource?: string;
  version: string;
  apiVersion: string;
  builder: BuilderKind;
  /**
   * How the build context reached the engine: `session` (a BuildKit session, as buildx sends it)
   * or `tar` (a tar body: the classic builder, or an engine without `/session`).
   */
  contextTransport?: 'session' | 'tar';
  /** Docker Engine or Podman (from `GET /version` Components). */
  product?: EngineProduct;
  /**
   * The image store: 'containerd' for Docker's containerd image store (snapshotters), else the
   * graph driver (`overlay2`, `overlay` on Podman, `vfs`…); null when the engine did not say.
   */
  store?: string | null;
}

export interface LayerReport {
  index: number;
  createdBy: string;
  sizeBytes: number;
  empty: boolean;
  /** true: the layer came with FROM (the base image or base stage). */
  fromBase: boolean;
  /** 1-based first line of the instruction that made it, null for base layers. */
  line: number | null;
  endLine: number | null;
  /** The instruction text as written in the Dockerfile, null for base layers. */
  instruction: string | null;
  cached: boolean | null;
  durationMs: number | null;
  /**
   * For a fromBase layer made by an earlier stage of this Dockerfile (`FROM <stage>`): that
   * stage and the lines of the instruction that made it. null/absent for base-image layers.
   */
  origin?: { stage: number; line: number; endLine: number } | null;
  /** Set on the extra `LABEL com.stagelens.*` history entry the classic builder appends. */
  buildLabel?: boolean;
}

export interface StageError { message: string; line: number | null }

export interface StageReport {
  index: number;
  name: string | null;
  /** 1-based FROM line. */
  line: number;
  /** 1-based last line of the stage. */
  endLine?: number;
  baseImage: string;
  baseStage: number | null;
  imageId: string | null;
  /** The deterministic tag Stage Lens gave the stage image, when it was built. */
  tag?: string | null;
  /** Unpacked size: the sum of the layers' uncompressed sizes (history), on every image store. */
  sizeBytes: number | null;
  /** Unpacked size of what FROM starts with (base image or base stage). */
  baseSizeBytes: number | null;
  addedBytes: number | null;
  /**
   * Compressed content size (what a pull downloads) where the engine knows it: the containerd
   * image store on API ≥ 1.48. null/absent where unknown — never a guess.
   */
  pullSizeBytes?: number | null;
  buildMs: number;
  layers: LayerReport[];
  error: StageError | null;
  /** Whether this is the stage a plain `docker build` produces (the last, or `--target`). */
  final?: boolean;
  /**
   * true: this stage was not built again — its input (instructions, base, build args, the
   * stages it needs, the context files it reads) is the same as in the previous analysis and
   * its image still exists, so the previous measurements are kept (lines moved to where the
   * stage is now). Absent/false: measured in this analysis.
   */
  reused?: boolean;
  /** Hash of the stage's input as above; what the next analysis compares. Opaque. */
  inputKey?: string;
}

export interface AnalysisReport {
  schemaVersion: number;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Absolute path of the build context. */
  context: string;
  /** sha256 of the Dockerfile text analysed, so views can tell whether the report is stale. */
  dockerfileHash?: string;
  /** Bytes sent as build context after .dockerignore. */
  contextBytes?: number;
  engine: EngineInfo;
  startedAt: string;
  durationMs: number;
  stages: StageReport[];
  /** Set when the analysis was cancelled before every stage was reported. */
  cancelled?: boolean;
}

/** Human-readable byte size with the units `docker images` uses (decimal, 3 significant digits). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const neg = bytes < 0;
  let v = Math.abs(bytes);
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  const s = u === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${neg ? '-' : ''}${s.replace(/\.0+$|(\.\d*?)0+$/, '$1')} ${units[u]}`;
}

/** A size, with the pull (compressed content) size beside it where the engine knows it: `170 MB · pull 61 MB`. */
export function formatSizeWithPull(sizeBytes: number | null | undefined, pullSizeBytes: number | null | undefined): string {
  const size = formatBytes(sizeBytes);
  return typeof pullSizeBytes === 'number' && Number.isFinite(pullSizeBytes) && sizeBytes !== null && sizeBytes !== undefined ? `${size} · pull ${formatBytes(pullSizeBytes)}` : size;
}

const BUILDER_NAMES: Record<BuilderKind, string> = { buildkit: 'BuildKit', classic: 'classic builder', buildah: 'Buildah' };

/** The builder as people call it: `BuildKit`, `classic builder`, `Buildah`. */
export function builderName(builder: BuilderKind): string { return BUILDER_NAMES[builder] ?? builder; }

/**
 * The engine in one phrase: `Docker 28.5.2 (BuildKit, containerd image store)`,
 * `Podman 4.3.1 (Buildah)`. Reports of schema 1 have no product: they came from Docker.
 */
export function engineLabel(engine: Pick<EngineInfo, 'version' | 'builder' | 'product' | 'store'>): string {
  const product = engine.product === 'podman' ? 'Podman' : 'Docker';
  const details = [builderName(engine.builder)];
  if (engine.product !== 'podman' && engine.store === 'containerd') details.push('containerd image store');
  return `${product} ${engine.version || '(unknown version)'} (${details.join(', ')})`;
}

/** Compact duration: `850 ms`, `14 s`, `2 min 5 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1).replace(/\.0$/, '') : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** The stage a plain build produces: the one marked final, else the last. */
export function finalStage(report: Pick<AnalysisReport, 'stages'>): StageReport | null {
  return report.stages.find((s) => s.final) ?? report.stages[report.stages.length - 1] ?? null;
}
