import type { Span } from '../dockerfile/parse';
import type { TextEdit } from '../refactor/edits';
import type { Savings } from './savings';

export type { Savings };

export type { TextEdit };

export type Severity = 'info' | 'hint' | 'warning';

export type RuleId =
  | 'build-tools-in-final' | 'dev-deps-in-final' | 'fat-base' | 'pm-cache' | 'apt-no-recommends'
  | 'deleted-later' | 'copy-before-deps' | 'root-user' | 'add-local' | 'untagged-base'
  | 'consecutive-run' | 'no-dockerignore';

export interface Fix {
  title: string;
  /** Edits against the original text; apply them together. */
  edits: TextEdit[];
  /** The multi-stage split (what `stagelens refactor` writes), rather than an edit in place. */
  split?: boolean;
}

export interface Finding {
  /** Stable rule id (settings, `--disable`, `# stagelens ignore=`). */
  id: RuleId;
  severity: Severity;
  /** 0-based range of the instruction(s) concerned. */
  range: Span;
  /** 1-based first and last line of `range`. */
  line: number;
  endLine: number;
  /** One line. */
  message: string;
  /** Why it matters, in a sentence or two. */
  rationale: string;
  /** The equivalent hadolint rule, when there is one. */
  hadolint: string | null;
  /**
   * Static *estimate* of the bytes this costs in the final image, from typical package and
   * image sizes (see images.ts / packages.ts) — never a measurement. null when no honest
   * estimate exists.
   */
  estimateBytes: number | null;
  /**
   * Measured bytes of the layers concerned, from an AnalysisReport of the same Dockerfile text:
   * what the finding costs today, not what its fix saves (see `savings`).
   */
  measuredBytes: number | null;
  /**
   * What applying the fix saves: `measured` only when the engine built both the file and the
   * fixed file; otherwise an estimate (which subtracts what the fix adds back). null: no honest number.
   */
  savings: Savings | null;
  fix?: Fix;
}

/** What the build context holds, gathered by the caller (core never reads the disk). */
export interface ContextInfo {
  hasDockerignore: boolean;
  /** Top-level entries of the context directory. */
  entries: { name: string; bytes: number; directory: boolean }[];
}

export interface RuleInfo {
  id: RuleId;
  title: string;
  severity: Severity;
  hadolint: string[];
}

export const RULES: RuleInfo[] = [
  { id: 'build-tools-in-final', title: 'Build toolchain in the final stage', severity: 'warning', hadolint: [] },
  { id: 'dev-deps-in-final', title: 'Development dependencies in the final stage', severity: 'warning', hadolint: [] },
  { id: 'fat-base', title: 'Full-size base image for the final stage', severity: 'warning', hadolint: [] },
  { id: 'pm-cache', title: 'Package-manager cache left in a layer', severity: 'hint', hadolint: ['DL3042', 'DL3009', 'DL3019', 'DL3060'] },
  { id: 'apt-no-recommends', title: 'apt-get install without --no-install-recommends', severity: 'hint', hadolint: ['DL3015'] },
  { id: 'deleted-later', title: 'Files deleted in a later layer', severity: 'warning', hadolint: [] },
  { id: 'copy-before-deps', title: 'Whole context copied before installing dependencies', severity: 'hint', hadolint: [] },
  { id: 'root-user', title: 'Final stage runs as root', severity: 'warning', hadolint: ['DL3002'] },
  { id: 'add-local', title: 'ADD for local files', severity: 'hint', hadolint: ['DL3020'] },
  { id: 'untagged-base', title: 'Untagged or latest base image', severity: 'hint', hadolint: ['DL3006', 'DL3007'] },
  { id: 'consecutive-run', title: 'Consecutive RUN instructions', severity: 'info', hadolint: ['DL3059'] },
  { id: 'no-dockerignore', title: 'No .dockerignore for a context with heavy or secret paths', severity: 'warning', hadolint: [] },
];
