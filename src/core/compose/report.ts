// The compose report: every selected service, the analysis it got (shared by services whose
// builds are identical) and a per-service summary. `--json` prints it; the panel's compose view
// is made from it. Versioned like AnalysisReport; add fields, never rename them.
import { finalStage, type AnalysisReport, type StageReport } from '../report';
import { maskSecretArgs } from '../secrets';
import { planAnalyses, type AnalysisJob, type ComposeProject, type ServiceBuild } from './project';

export const COMPOSE_SCHEMA_VERSION = 1;

export interface ComposeServiceReport {
  service: string;
  /** Compose file and 1-based line of the service's `build:`. */
  file: string;
  line: number;
  image: string | null;
  context: string;
  dockerfile: string;
  dockerfileInline: boolean;
  target: string | null;
  network: string | null;
  /** Build args as passed (secret-looking values masked). */
  args: Record<string, string>;
  /** Index into `analyses`; null when the service was not analysed (see error). */
  analysis: number | null;
  /** Other services whose identical build shares this analysis. */
  sharedWith: string[];
  error: string | null;
}

export interface ComposeReport {
  kind: 'stagelens.compose';
  composeSchemaVersion: number;
  files: string[];
  projectDir: string;
  name: string | null;
  startedAt: string;
  durationMs: number;
  services: ComposeServiceReport[];
  analyses: AnalysisReport[];
  /** Services with only an `image:`, which have nothing to build. */
  imageOnly: string[];
  warnings: string[];
  cancelled?: boolean;
}

export interface ServiceSummary {
  service: string;
  target: string | null;
  finalStage: StageReport | null;
  sizeBytes: number | null;
  /** Compressed (pull) size of the final image where the engine knows it; null otherwise. */
  pullBytes: number | null;
  stages: number;
  buildMs: number;
  failed: boolean;
}

/**
 * The compressed content size of a stage when the report carries one. The field is being added
 * to StageReport separately (issue 9); read it defensively so this works before and after.
 */
export function pullBytesOf(s: StageReport | null): number | null {
  return s?.pullSizeBytes ?? null;
}

export function summarizeService(report: ComposeReport, svc: ComposeServiceReport): ServiceSummary {
  const a = svc.analysis !== null ? report.analyses[svc.analysis] ?? null : null;
  const fin = a ? finalStage(a) : null;
  return {
    service: svc.service, target: svc.target, finalStage: fin,
    sizeBytes: fin && !fin.error ? fin.sizeBytes : null, pullBytes: fin && !fin.error ? pullBytesOf(fin) : null,
    stages: a?.stages.length ?? 0, buildMs: a ? a.stages.reduce((n, s) => n + s.buildMs, 0) : 0,
    failed: !!svc.error || !a || a.stages.some((s) => s.error !== null) || !!a.cancelled,
  };
}

export type JobRunner = (job: AnalysisJob, position: number, count: number) => Promise<AnalysisReport>;

/**
 * Analyses the selected services, one analysis per distinct build (in order of first use, so
 * later builds reuse the engine's cache of earlier ones). A job whose runner throws records the
 * message on its services and the others still run; `isCancelled` stops before the next job.
 */
export async function analyzeServices(project: ComposeProject, builds: ServiceBuild[], run: JobRunner, isCancelled: () => boolean = () => false): Promise<ComposeReport> {
  const started = Date.now();
  const jobs = planAnalyses(builds);
  const report: ComposeReport = {
    kind: 'stagelens.compose', composeSchemaVersion: COMPOSE_SCHEMA_VERSION, files: project.files, projectDir: project.projectDir,
    name: project.name, startedAt: new Date(started).toISOString(), durationMs: 0, services: [], analyses: [],
    imageOnly: project.imageOnly.map((s) => s.service), warnings: project.warnings,
  };
  const byService = new Map<string, ComposeServiceReport>();
  for (const b of builds) {
    const svc: ComposeServiceReport = {
      service: b.service, file: b.file, line: b.line, image: b.image, context: b.context, dockerfile: b.dockerfile,
      dockerfileInline: b.dockerfileInline !== null, target: b.target, network: b.network, args: maskSecretArgs(b.args),
      analysis: null, sharedWith: [], error: null,
    };
    report.services.push(svc);
    byService.set(b.service, svc);
  }
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i]!;
    const members = job.services.map((n) => byService.get(n)!);
    for (const m of members) m.sharedWith = job.services.filter((n) => n !== m.service);
    if (isCancelled()) { report.cancelled = true; for (const m of members) m.error = 'not analysed: cancelled'; continue; }
    try {
      const a = await run(job, i + 1, jobs.length);
      report.analyses.push(a);
      for (const m of members) m.analysis = report.analyses.length - 1;
      if (a.cancelled) report.cancelled = true;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      for (const m of members) m.error = msg.split('\n').slice(0, 2).join(' ');
    }
  }
  report.durationMs = Date.now() - started;
  return report;
}
