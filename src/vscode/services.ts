// The seams between the editor glue and the domain modules (src/engine, src/core/suggest,
// src/core/refactor). The glue codes against these interfaces; adapters.ts binds them to the
// real implementations, so a module that has not landed yet degrades to a clear message.
import type { AnalysisReport } from '../core/report';
import type { FinalImageFacts } from '../view/protocol';
import type { LensFinding } from '../view/lenses';

// The event type lives with the view model that folds it (src/view/progress.ts).
import type { AnalyzerEvent } from '../view/progress';
export type { AnalyzerEvent };

export interface AnalyzeOptions {
  /** Absolute path of the Dockerfile (used for .dockerignore lookup and in the report). */
  dockerfile: string;
  /** Absolute path of the build context. */
  context: string;
  /** The Dockerfile content to build: the editor's text, saved or not. */
  text: string;
  /** Only this stage (and what it needs); all stages when undefined. */
  target?: number;
  /** A compose service's `build.target`: the stage that is the final image (and what it needs). */
  targetName?: string;
  buildArgs: Record<string, string>;
  builder: 'auto' | 'buildkit' | 'classic';
  network: 'default' | 'none' | 'host';
  /** Empty: DOCKER_HOST, then the current context, then the default socket. */
  endpoint: string;
  signal: AbortSignal;
  onProgress: (e: AnalyzerEvent) => void;
  /** The document's last analysis: its unchanged stages are reused, not built again. */
  previous?: { report: AnalysisReport; text: string };
}

export interface EndpointChoice { label: string; endpoint: string; detail: string }

export interface Analyzer {
  analyze(opts: AnalyzeOptions): Promise<AnalysisReport>;
  /** Removes images Stage Lens labelled; never anything else. */
  cleanUp(endpoint: string, signal: AbortSignal): Promise<{ removed: number; freedBytes: number | null }>;
  /** DOCKER_HOST and Docker contexts the user could pick. */
  listEndpoints(): Promise<EndpointChoice[]>;
  /** Final-image facts (compilers, shells, …) when the layer analysis provides them. */
  finalImageFacts?(report: AnalysisReport, endpoint: string, signal: AbortSignal): Promise<FinalImageFacts | null>;
  /** Unpacked sizes (reference → bytes) of those images the engine already has; never pulls. */
  imageSizes?(refs: readonly string[], endpoint: string, signal: AbortSignal): Promise<Record<string, number>>;
}

export interface TextEditSpec { range: LensFinding['range']; newText: string }

export interface Finding extends LensFinding {
  /** Unique per finding in one document version (rule ids repeat across lines). */
  id: string;
  /** The rule id (settings, diagnostics code). */
  rule: string;
  severity: 'info' | 'hint' | 'warning';
  line?: number;
  rationale?: string;
  hadolint?: string | null;
  /** `split`: the multi-stage split rather than an edit in place. */
  fix?: { title: string; edits: TextEditSpec[]; split?: boolean };
}

export interface ContextListing {
  hasDockerignore: boolean;
  entries: { name: string; bytes: number; directory: boolean }[];
}

export interface RefactorResult {
  text: string;
  edits: TextEditSpec[];
  summary: string;
  notes: string[];
  changed: boolean;
}

export interface Suggester {
  /** null when the suggestion rules are not available in this build. */
  findings(text: string, opts: {
    report: AnalysisReport | null; fixReports?: readonly AnalysisReport[]; disabledRules: string[]; buildkit: boolean; context: ContextListing | null;
    /** Unpacked sizes of images the engine has (reference → bytes): the slim bases of rewrites. */
    imageSizes?: Readonly<Record<string, number>>;
  }): Finding[];
  /** The base images the findings' fixes would move the final image to (to ask the engine their sizes). */
  rewriteBases?(text: string, findings: readonly Finding[]): string[];
  refactorToMultiStage(text: string): RefactorResult | null;
}

/** A failure the user can act on: `message` says what happened, `fix` what to do. */
export class UserFacingError extends Error {
  constructor(message: string, readonly fix: string, readonly actions: ('selectEndpoint' | 'openSettings' | 'manageTrust')[] = []) {
    super(message);
  }
}
