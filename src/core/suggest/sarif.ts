// SARIF 2.1.0 for `stagelens suggest --format sarif`, so code-scanning UIs show the findings.
// Shaped like hadolint's SARIF output (one run, results with a physical location and a 1-based
// region, levels warning/note), with our rule ids as ruleId; the equivalent hadolint codes are
// a taxonomy the rules relate to, and a `hadolint` property on each result, so a UI or a
// script can join them with hadolint's own results. Checked against the OASIS 2.1.0 schema
// (test/unit/sarif, schema vendored under test/fixtures/sarif).
import { RULES, type Finding, type RuleInfo, type Severity } from './types';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

type Level = 'error' | 'warning' | 'note' | 'none';

const LEVEL: Record<Severity, Level> = { warning: 'warning', hint: 'note', info: 'note' };

export interface SarifOptions {
  /** The Dockerfile's URI or path relative to the repository root (what code scanning expects). */
  artifactUri: string;
  /** Base id for `artifactUri` when it is relative, e.g. `%SRCROOT%`. */
  uriBaseId?: string;
  toolVersion: string;
  informationUri?: string;
}

/* The subset of the SARIF object model written here. */
interface Region { startLine: number; startColumn: number; endLine: number; endColumn: number }
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: Array<{
    tool: { driver: Record<string, unknown> };
    taxonomies?: Array<Record<string, unknown>>;
    artifacts?: Array<Record<string, unknown>>;
    results: Array<Record<string, unknown>>;
    columnKind: 'utf16CodeUnits';
    originalUriBaseIds?: Record<string, { uri?: string; description?: { text: string } }>;
  }>;
}

function ruleDescriptor(r: RuleInfo, hadolintIndex: Map<string, number>): Record<string, unknown> {
  const d: Record<string, unknown> = {
    id: r.id,
    name: r.id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase()),
    shortDescription: { text: r.title },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: { tags: ['dockerfile', 'image-size'], hadolint: r.hadolint },
  };
  if (r.hadolint.length) {
    d.relationships = r.hadolint.map((code) => ({
      target: { id: code, index: hadolintIndex.get(code)!, toolComponent: { name: 'hadolint' } },
      kinds: ['relevant'],
    }));
  }
  return d;
}

function region(f: Finding): Region {
  // Findings carry 0-based ranges; SARIF regions are 1-based, end column exclusive.
  return {
    startLine: f.range.start.line + 1,
    startColumn: f.range.start.character + 1,
    endLine: f.range.end.line + 1,
    endColumn: Math.max(f.range.end.character + 1, f.range.start.line === f.range.end.line ? f.range.start.character + 2 : 1),
  };
}

export function toSarif(findings: readonly Finding[], opts: SarifOptions): SarifLog {
  const codes = [...new Set(RULES.flatMap((r) => r.hadolint))].sort();
  const hadolintIndex = new Map(codes.map((c, i) => [c, i]));
  const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));
  const location = { uri: opts.artifactUri, ...(opts.uriBaseId ? { uriBaseId: opts.uriBaseId } : {}) };
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'stagelens',
          fullName: 'Stage Lens',
          version: opts.toolVersion,
          semanticVersion: opts.toolVersion,
          ...(opts.informationUri ? { informationUri: opts.informationUri } : {}),
          rules: RULES.map((r) => ruleDescriptor(r, hadolintIndex)),
          supportedTaxonomies: [{ name: 'hadolint', index: 0 }],
        },
      },
      taxonomies: [{
        name: 'hadolint',
        shortDescription: { text: 'hadolint rule codes with the same intent as a Stage Lens rule' },
        taxa: codes.map((id) => ({ id })),
      }],
      artifacts: [{ location, sourceLanguage: 'dockerfile' }],
      results: findings.map((f) => {
        const hadolint = f.hadolint;
        const result: Record<string, unknown> = {
          ruleId: f.id,
          ruleIndex: ruleIndex.get(f.id) ?? -1,
          level: LEVEL[f.severity],
          message: { text: `${f.message}${hadolint ? ` (${hadolint})` : ''}` },
          locations: [{ physicalLocation: { artifactLocation: { ...location, index: 0 }, region: region(f) } }],
          properties: {
            hadolint,
            rationale: f.rationale,
            ...(f.estimateBytes !== null ? { estimateBytes: f.estimateBytes } : {}),
            ...(f.measuredBytes !== null ? { measuredBytes: f.measuredBytes } : {}),
          },
        };
        if (hadolint && hadolintIndex.has(hadolint)) result.taxa = [{ id: hadolint, index: hadolintIndex.get(hadolint)!, toolComponent: { name: 'hadolint' } }];
        if (f.fix?.edits.length) {
          result.fixes = [{
            description: { text: f.fix.title },
            artifactChanges: [{
              artifactLocation: { ...location, index: 0 },
              replacements: f.fix.edits.map((e) => ({
                deletedRegion: { startLine: e.range.start.line + 1, startColumn: e.range.start.character + 1, endLine: e.range.end.line + 1, endColumn: e.range.end.character + 1 },
                insertedContent: { text: e.newText },
              })),
            }],
          }];
        }
        return result;
      }),
      columnKind: 'utf16CodeUnits',
    }],
  };
}
