// The AnalysisReport: the single source of truth for every view and for `--json`.
// Outside tools rely on the shape below (DESIGN.md); add fields, never rename or remove
// them without bumping SCHEMA_VERSION.

export const SCHEMA_VERSION = 1;

export type BuilderKind = 'buildkit' | 'classic';

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
  sizeBytes: number | null;
  baseSizeBytes: number | null;
  addedBytes: number | null;
  buildMs: number;
  layers: LayerReport[];
  error: StageError | null;
  /** Whether this is the stage a plain `docker build` produces (the last, or `--target`). */
  final?: boolean;
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
