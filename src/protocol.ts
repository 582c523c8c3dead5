// Messages between the extension host and the stage panel webview. Imported by both sides,
// so it must stay free of `vscode` and of Node APIs. The host trusts nothing the webview
// sends: every inbound message goes through `parseWebviewMessage` first.
import type { AnalysisReport } from './core/report';

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
export interface DiffLine { op: DiffOp; text: string; oldLine: number | null; newLine: number | null }

export interface ComparisonView {
  before: ReportSummary;
  after: ReportSummary;
  diff: DiffLine[];
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

export type HostMessage =
  | { type: 'state'; state: PanelState }
  | { type: 'progress'; progress: ProgressView | null }
  | { type: 'focusStage'; stageIndex: number };

export const PANEL_ACTIONS = ['analyze', 'cancel', 'refactor', 'applyAndMeasure', 'showView'] as const;
export type PanelAction = (typeof PANEL_ACTIONS)[number];

export type WebviewMessage =
  | { type: 'ready' }
  /** 1-based lines of the instruction to reveal and select. */
  | { type: 'revealLine'; line: number; endLine: number }
  | { type: 'action'; action: PanelAction }
  | { type: 'focusStage'; stageIndex: number };

const MAX_LINE = 1_000_000;

function isLine(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_LINE;
}

/**
 * Validates a message posted by the webview. Returns null for anything that is not exactly
 * one of the known shapes, so a compromised or buggy webview cannot drive the host.
 */
export function parseWebviewMessage(raw: unknown): WebviewMessage | null {
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
    default:
      return null;
  }
}

/** Checks the shape of state the webview restores from `getState()` (it may come from an older version). */
export function isPanelState(v: unknown): v is PanelState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return 'report' in s && 'document' in s && typeof s.stale === 'boolean';
}
