// What applying a fix saves, and how sure that number is. "Measured" is only ever the
// difference between two built images: the Dockerfile as it is and the same Dockerfile with the
// fix applied (apply-and-measure, or a build of the rewrite on the shared cache). Anything else is
// an estimate and says so: the size of the full base alone is not a saving, because the rewrite
// brings a slim base and the copied dependencies back.
import { parseDockerfile } from '../dockerfile/parse';
import { dockerfileHash } from '../hash';
import { officialName, parseImageRef } from '../knowledge/images';
import { applyEdits, type TextEdit } from '../refactor/edits';
import { finalStage, formatBytes, type AnalysisReport } from '../report';

export interface Savings {
  /** Bytes the final image gets smaller. */
  bytes: number;
  basis: 'measured' | 'estimate';
  /** One line: where the number comes from. */
  how: string;
}

const MB = 1_000_000;
/** pip + setuptools inside a fresh venv (measured ~20 MB on the seed's python:3.12-slim rewrite). */
const VENV_OVERHEAD = 20 * MB;

/**
 * Rough unpacked amd64 sizes of the small images the rewrites move to (late 2024 – 2025 tags),
 * used only when the engine has not told us the size. Labelled as estimates wherever shown.
 */
export function smallImageSizeEstimate(ref: string): number | null {
  const r = ref.trim();
  const { registry, repo, tag } = parseImageRef(r);
  const t = tag ?? '';
  if (registry === 'gcr.io' && repo.startsWith('distroless/')) return /static/.test(repo) ? 2 * MB : /base/.test(repo) ? 20 * MB : 60 * MB;
  if (r === 'scratch') return 0;
  switch (officialName(r)) {
    case 'alpine': return 8 * MB;
    case 'debian': return /slim/.test(t) ? 75 * MB : 120 * MB;
    case 'python': return /alpine/.test(t) ? 50 * MB : /slim/.test(t) ? 125 * MB : null;
    case 'node': return /alpine/.test(t) ? 140 * MB : /slim/.test(t) ? 200 * MB : null;
    case 'ruby': return /alpine/.test(t) ? 100 * MB : /slim/.test(t) ? 190 * MB : null;
    case 'php': return /alpine/.test(t) ? 100 * MB : null;
    case 'eclipse-temurin': return /jre/.test(t) ? (/alpine/.test(t) ? 170 * MB : 270 * MB) : null;
    default: return null;
  }
}

export interface SavingsInput {
  /** The Dockerfile text the finding is about. */
  text: string;
  /** The text with the fix applied, or null when the finding has no fix. */
  fixedText: string | null;
  /** Whether the fix is the multi-stage split. */
  split: boolean;
  /** The image the fixed final stage runs on (the slim base), when the fix changes it. */
  newBaseImage: string | null;
  /** Lines (1-based) of the original whose layers the fixed file no longer has in its final image. */
  droppedLines: number[];
  /** The finding's static estimate. */
  estimateBytes: number | null;
  /** Report of `text`. */
  report?: AnalysisReport;
  /** Reports of other texts (the fixed text among them, once it has been built). */
  fixReports?: readonly AnalysisReport[];
  /** Image sizes the engine reported (reference → unpacked bytes). */
  imageSizes?: Readonly<Record<string, number>>;
}

const finalBytes = (r: AnalysisReport): number | null => finalStage(r)?.sizeBytes ?? null;

/** The savings of one finding's fix (or of acting on the finding), or null when no honest number exists. */
export function savingsOf(i: SavingsInput): Savings | null {
  const before = i.report && i.report.dockerfileHash === dockerfileHash(i.text) ? i.report : undefined;
  if (before && i.fixedText !== null) {
    const h = dockerfileHash(i.fixedText);
    const after = i.fixReports?.find((r) => r.dockerfileHash === h && !r.cancelled);
    const b = finalBytes(before);
    const a = after ? finalBytes(after) : null;
    if (b !== null && a !== null) {
      return { bytes: b - a, basis: 'measured', how: `final image built both ways: ${formatBytes(b)} → ${formatBytes(a)}` };
    }
  }
  if (before && i.newBaseImage && (i.split || i.droppedLines.length === 0)) {
    const fin = finalStage(before);
    const b = fin?.sizeBytes ?? null;
    const engineSlim = i.imageSizes?.[i.newBaseImage];
    const slim = engineSlim ?? smallImageSizeEstimate(i.newBaseImage);
    if (fin && b !== null && slim !== null && fin.baseSizeBytes !== null) {
      // The rewrite keeps every layer the final stage added except the dropped ones (toolchain
      // installs): the app and the dependencies come back, copied from the builder.
      const dropped = new Set(i.droppedLines);
      const kept = fin.layers.filter((l) => !l.fromBase && !(l.line !== null && dropped.has(l.line))).reduce((s, l) => s + l.sizeBytes, 0);
      // A Python split copies a virtualenv, which carries its own pip and setuptools.
      const venv = i.fixedText !== null && /\s-m\s+venv\b/.test(i.fixedText) ? VENV_OVERHEAD : 0;
      const bytes = b - (slim + kept + venv);
      return {
        bytes, basis: 'estimate',
        how: `${formatBytes(b)} measured now; the rewrite keeps ${formatBytes(kept)} of added layers${venv ? ` and a virtualenv (~${formatBytes(venv)})` : ''} on ${i.newBaseImage} (${formatBytes(slim)}${engineSlim !== undefined ? ' per the engine' : ', typical size'})`,
      };
    }
  }
  if (i.estimateBytes !== null && i.estimateBytes > 0) return { bytes: i.estimateBytes, basis: 'estimate', how: 'typical sizes, not measured' };
  return null;
}

/** The final stage's base image of a Dockerfile text (the rewrite's runtime base). */
export function finalBaseOf(text: string): string | null {
  const df = parseDockerfile(text);
  const last = df.stages[df.stages.length - 1];
  if (!last) return null;
  let st = last;
  while (st.baseStage !== null) st = df.stages[st.baseStage]!;
  return st.resolvedBaseImage || null;
}

/**
 * Whether a fix moves the final image onto another base image — the multi-stage split or the
 * swap of a full base for its slim variant — so that what it saves depends on that base's size.
 */
export function changesRuntimeBase(ruleId: string, fix: { split?: boolean } | undefined): boolean {
  return !!fix && (fix.split === true || ruleId === 'fat-base');
}

/** A finding as far as `rewriteBasesOf` needs it (the core finding's `id` or the editor's `rule`). */
export interface RewriteFinding { rule: string; fix?: { edits: TextEdit[]; split?: boolean } }

/**
 * The base images the findings' fixes would run the final image on, each once: what to ask the
 * engine the size of, so an estimated saving subtracts the real slim base rather than a typical
 * size. Leaves out `scratch` (its size is known) and references with unresolved variables.
 */
export function rewriteBasesOf(text: string, findings: readonly RewriteFinding[]): string[] {
  const out = new Set<string>();
  const seen = new Set<string>();
  for (const f of findings) {
    if (!f.fix || !changesRuntimeBase(f.rule, f.fix)) continue;
    // Several findings share one fix (the split answers three rules): apply and parse it once.
    const key = JSON.stringify(f.fix.edits);
    if (seen.has(key)) continue;
    seen.add(key);
    const base = finalBaseOf(applyEdits(text, f.fix.edits));
    if (base && base.toLowerCase() !== 'scratch' && !base.includes('$')) out.add(base);
  }
  return [...out];
}
