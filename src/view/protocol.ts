// Messages between the extension host and the stage panel webview. Imported by both sides,
// so it must stay free of `vscode` and of Node APIs. The host trusts nothing the webview
// sends: every inbound message goes through `parseWebviewMessage` first.
import type { AnalysisReport } from '../core/report';

/** What the final image still carries, when the layer analysis knows it (src/core/layers). */
export interface FinalImageFacts {
  user: string | null;
  /** false: only the Dockerfile was read (user); the image contents were not inspected. */
  contentsKnown: boolean;
  compilers: string[];
  packageManagers: string[];
  shells: string[];
}

export interface ProgressStep {
  id: string;
  name: string;
  cached: boolean;
  /** Milliseconds since the analysis started; null until the step starts. */
  startedMs: number | null;
  durationMs: number | null;
  done: boolean;
  error: string | null;
}

export interface ProgressView {
  running: boolean;
  /** e.g. "Building stage builder (1/3)". */
  title: string;
  stageIndex: number | null;
  steps: ProgressStep[];
}

export interface ReportSummary {
  finalBytes: number | null;
  /** Non-empty filesystem layers of the final image. */
  finalLayers: number;
  buildMs: number;
  stages: { label: string; sizeBytes: number | null; final: boolean }[];
}

export type DiffOp = 'same' | 'add' | 'del';
export interface DiffLine {
  op: DiffOp; text: string; oldLine: number | null; newLine: number | null;
  /** Compare with HEAD: bytes the instruction starting on this line added or lost vs the base. */
  deltaBytes?: number | null;
}

/** Compare with HEAD: one stage before → after (src/vscode/compareModel.ts). */
export interface ComparisonStageRow {
  label: string;
  status: 'same' | 'renamed' | 'added' | 'removed';
  beforeBytes: number | null;
  afterBytes: number | null;
  deltaBytes: number | null;
  final: boolean;
}

export interface ComparisonView {
  before: ReportSummary;
  after: ReportSummary;
  diff: DiffLine[];
  /** Heading; the refactor comparison leaves it unset ("Before and after the refactor"). */
  title?: string;
  /** Column names, e.g. HEAD / Working copy (default Before / After). */
  beforeLabel?: string;
  afterLabel?: string;
  /** Compare with HEAD: per-stage deltas, matched by name then position. */
  stageDeltas?: ComparisonStageRow[];
}

export interface PanelDocument { uri: string; fileName: string }

export interface PanelState {
  document: PanelDocument | null;
  report: AnalysisReport | null;
  /** The document changed since the report was made. */
  stale: boolean;
  facts: FinalImageFacts | null;
  comparison: ComparisonView | null;
  progress: ProgressView | null;
  /** Trust and engine problems the panel should explain, e.g. "Builds need a trusted workspace". */
  notice: string | null;
}

// --- Layer contents of one stage image (the panel's Files and Wasted space sections) ---

export const FILE_CHANGES = ['added', 'modified', 'removed', 'unchanged'] as const;
export type FileChange = (typeof FILE_CHANGES)[number];
export type FilesView = 'layer' | 'merged';
export type FilesSort = 'name' | 'size';
/** Rows per files/list request; the webview never holds more than a few pages at once. */
export const FILES_MAX_LIMIT = 1000;

export interface FileRow {
  name: string;
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  sizeBytes: number;
  mode: string;
  change: FileChange;
  hasChildren: boolean;
  /** 0-based image layer that wrote what is shown (for removals: what was removed). */
  writtenBy: number;
  line: number | null;
  link?: string;
}

export interface FilesPage {
  dir: string;
  layer: number;
  view: FilesView;
  /** Entries matching the filters, before paging. */
  total: number;
  offset: number;
  entries: FileRow[];
}

/** One filesystem layer of the stage image, oldest first (base-image layers included). */
export interface ContentsLayer {
  index: number;
  sizeBytes: number;
  line: number | null;
  endLine: number | null;
  /** The Dockerfile instruction, or the image history's created_by for base layers. */
  text: string;
  added: number;
  modified: number;
  removed: number;
}

export interface WastedRow {
  path: string;
  cumulativeBytes: number;
  reclaimableBytes: number;
  writes: { layer: number; sizeBytes: number; line: number | null }[];
  removedBy: { layer: number; how: 'removed' | 'overwritten'; line: number | null } | null;
}

export interface StageContentsView {
  imageId: string;
  fileCount: number;
  /** dive's efficiency score, 0..1. */
  efficiency: number;
  wastedBytes: number;
  reclaimableBytes: number;
  layers: ContentsLayer[];
  topWasted: WastedRow[];
}

export type FilesStatus =
  | { status: 'loading' }
  | { status: 'ready'; contents: StageContentsView }
  | { status: 'error'; message: string };

export type HostMessage =
  | { type: 'state'; state: PanelState }
  | { type: 'progress'; progress: ProgressView | null }
  | { type: 'focusStage'; stageIndex: number }
  | ({ type: 'files/status'; stageIndex: number; imageId: string | null } & FilesStatus)
  | { type: 'files/page'; requestId: number; stageIndex: number; page: FilesPage }
  | { type: 'files/error'; requestId: number; stageIndex: number; message: string }
  | { type: 'compose'; compose: ComposeView | null };

export interface FilesListRequest {
  type: 'files/list';
  requestId: number;
  stageIndex: number;
  /** 0-based image layer (ContentsLayer.index). */
  layer: number;
  view: FilesView;
  /** Absolute directory, '/' for the root. */
  dir: string;
  changes?: FileChange[];
  sort: FilesSort;
  descending: boolean;
  offset: number;
  limit: number;
}

export const PANEL_ACTIONS = ['analyze', 'cancel', 'refactor', 'applyAndMeasure', 'showView'] as const;
export type PanelAction = (typeof PANEL_ACTIONS)[number];

export type WebviewMessage =
  | { type: 'ready' }
  /** 1-based lines of the instruction to reveal and select. */
  | { type: 'revealLine'; line: number; endLine: number }
  | { type: 'action'; action: PanelAction }
  | { type: 'focusStage'; stageIndex: number }
  /** Analyse the stage image's layer contents (lazily; answered by files/status). */
  | { type: 'files/open'; stageIndex: number }
  | FilesListRequest
  | ComposeWebviewMessage;

const MAX_LINE = 1_000_000;

function isLine(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_LINE;
}

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

const MAX_STAGE = 9_999;
const MAX_DIR_CHARS = 4096;

/** An absolute path without empty, '.' or '..' segments or NUL (image file names may hold any other byte). */
function isDir(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > MAX_DIR_CHARS || !v.startsWith('/') || v.includes('\0')) return false;
  if (v === '/') return true;
  return v.slice(1).split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

function parseFilesList(m: Record<string, unknown>, keys: string[]): FilesListRequest | null {
  const allowed = ['type', 'requestId', 'stageIndex', 'layer', 'view', 'dir', 'changes', 'sort', 'descending', 'offset', 'limit'];
  if (!keys.every((k) => allowed.includes(k))) return null;
  if (!isInt(m.requestId, 0, 2 ** 31 - 1) || !isInt(m.stageIndex, 0, MAX_STAGE) || !isInt(m.layer, 0, 9_999)) return null;
  if (m.view !== 'layer' && m.view !== 'merged') return null;
  if (m.sort !== 'name' && m.sort !== 'size') return null;
  if (typeof m.descending !== 'boolean' || !isDir(m.dir)) return null;
  if (!isInt(m.offset, 0, 10_000_000) || !isInt(m.limit, 1, FILES_MAX_LIMIT)) return null;
  const req: FilesListRequest = {
    type: 'files/list', requestId: m.requestId, stageIndex: m.stageIndex, layer: m.layer, view: m.view, dir: m.dir,
    sort: m.sort, descending: m.descending, offset: m.offset, limit: m.limit,
  };
  if (m.changes !== undefined) {
    const c = m.changes;
    if (!Array.isArray(c) || c.length === 0 || c.length > FILE_CHANGES.length) return null;
    if (!c.every((x) => (FILE_CHANGES as readonly unknown[]).includes(x)) || new Set(c).size !== c.length) return null;
    req.changes = [...c] as FileChange[];
  }
  return req;
}

/**
 * Validates a message posted by the webview. Returns null for anything that is not exactly
 * one of the known shapes, so a compromised or buggy webview cannot drive the host.
 */
export function parseWebviewMessage(raw: unknown): WebviewMessage | null {
  // Structured clone strips getters and proxies, but the host must not throw on any input.
  try {
    return parseMessage(raw);
  } catch {
    return null;
  }
}

function parseMessage(raw: unknown): WebviewMessage | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  // Only plain data: a field inherited from a prototype must not count as a message field.
  const proto = Object.getPrototypeOf(raw) as unknown;
  if (proto !== Object.prototype && proto !== null) return null;
  const m = raw as Record<string, unknown>;
  const keys = Object.keys(m);
  const only = (...allowed: string[]): boolean => keys.every((k) => allowed.includes(k));
  switch (m.type) {
    case 'ready':
      return only('type') ? { type: 'ready' } : null;
    case 'revealLine': {
      if (!only('type', 'line', 'endLine') || !isLine(m.line)) return null;
      const endLine = m.endLine === undefined ? m.line : m.endLine;
      if (!isLine(endLine) || endLine < m.line) return null;
      return { type: 'revealLine', line: m.line, endLine };
    }
    case 'action':
      if (!only('type', 'action') || typeof m.action !== 'string') return null;
      return (PANEL_ACTIONS as readonly string[]).includes(m.action) ? { type: 'action', action: m.action as PanelAction } : null;
    case 'focusStage':
      if (!only('type', 'stageIndex')) return null;
      return typeof m.stageIndex === 'number' && Number.isInteger(m.stageIndex) && m.stageIndex >= 0 && m.stageIndex < 10_000
        ? { type: 'focusStage', stageIndex: m.stageIndex } : null;
    case 'files/open':
      return only('type', 'stageIndex') && isInt(m.stageIndex, 0, MAX_STAGE) ? { type: 'files/open', stageIndex: m.stageIndex } : null;
    case 'files/list':
      return parseFilesList(m, keys);
    default:
      return parseComposeMessage(m, keys);
  }
}

/** Checks the shape of state the webview restores from `getState()` (it may come from an older version). */
export function isPanelState(v: unknown): v is PanelState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return 'report' in s && 'document' in s && typeof s.stale === 'boolean';
}

// --- Compose projects (the panel's compose view: services side by side) ---

export interface ComposeStageView {
  label: string;
  sizeBytes: number | null;
  /** Bytes the stage's own instructions added over its base. */
  addedBytes: number | null;
  final: boolean;
  failed: boolean;
}

export interface ComposeServiceView {
  service: string;
  /** Dockerfile path relative to the context, or "dockerfile_inline". */
  dockerfile: string;
  target: string | null;
  /** Number of build args passed (values are not sent to the webview). */
  argCount: number;
  sharedWith: string[];
  finalLabel: string | null;
  finalBytes: number | null;
  /** Compressed (pull) size of the final image when the engine knows it. */
  pullBytes: number | null;
  buildMs: number;
  stages: ComposeStageView[];
  error: string | null;
}

export interface ComposeView {
  fileName: string;
  /** The compose files merged, as shown to the user (relative to the project folder). */
  files: string[];
  running: boolean;
  /** e.g. "Building advanced-app (3/3)". */
  progress: string | null;
  /** null until the project was analysed. */
  analysedAt: string | null;
  services: ComposeServiceView[];
}

/** Compose service names as the compose-spec allows them. */
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export type ComposeWebviewMessage =
  | { type: 'compose/analyze'; service: string | null }
  | { type: 'compose/openService'; service: string }
  | { type: 'compose/close' };

/** Validates a compose-view message (called by parseWebviewMessage for `compose/*` types). */
function parseComposeMessage(m: Record<string, unknown>, keys: string[]): ComposeWebviewMessage | null {
  const only = (...allowed: string[]): boolean => keys.every((k) => allowed.includes(k));
  switch (m.type) {
    case 'compose/analyze':
      if (!only('type', 'service')) return null;
      if (m.service === null || m.service === undefined) return { type: 'compose/analyze', service: null };
      return typeof m.service === 'string' && SERVICE_NAME.test(m.service) ? { type: 'compose/analyze', service: m.service } : null;
    case 'compose/openService':
      return only('type', 'service') && typeof m.service === 'string' && SERVICE_NAME.test(m.service) ? { type: 'compose/openService', service: m.service } : null;
    case 'compose/close':
      return only('type') ? { type: 'compose/close' } : null;
    default:
      return null;
  }
}
