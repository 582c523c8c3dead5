// What the editor shows for a compose project, as plain data: code lenses on each service's
// `build:` and the panel's compose view. No `vscode` here, so both are unit-testable.
import { relative } from 'node:path';
import { ComposeError, parseComposeFile, summarizeService, type ComposeReport, type Variables } from '../core/compose';
import { formatBytes } from '../core/report';
import type { ComposeView } from '../view/protocol';
import { stageLabel } from '../view/stages';

export type ComposeLensAction =
  | { kind: 'analyzeProject' }
  | { kind: 'analyzeService'; service: string }
  | { kind: 'openDockerfile'; service: string }
  | { kind: 'showComparison' }
  | { kind: 'reveal'; line: number }
  | { kind: 'none' };

export interface ComposeLensSpec { line: number; title: string; tooltip?: string; action: ComposeLensAction }

/**
 * Lenses for one compose file's text: a project lens on `services:`, and on every service's
 * `build:` its final size once analysed (with target), "Analyze service" and "Open Dockerfile".
 * `report` is the last compose report that included this file.
 */
export function composeLenses(text: string, file: string, vars: Variables, report: ComposeReport | null, running: boolean): ComposeLensSpec[] {
  let parsed;
  try {
    parsed = parseComposeFile(text, file, vars);
  } catch (e) {
    if (!(e instanceof ComposeError)) return [];
    // No services key at all: not a compose file worth a lens (e.g. some other *.yml).
    if (e.key === 'services' && e.line === null) return [];
    return [{ line: Math.max(0, (e.line ?? 1) - 1), title: `$(error) Stage Lens: ${e.key ? `${e.key}: ` : ''}${e.detail}`, action: { kind: 'none' } }];
  }
  const builds = parsed.services.filter((s) => s.build && s.build.tag !== 'reset');
  if (!builds.length) return [];
  const out: ComposeLensSpec[] = [];
  const top = parsed.servicesLine - 1;
  if (running) out.push({ line: top, title: '$(sync~spin) Analyzing compose services…', action: { kind: 'none' } });
  else out.push({ line: top, title: report ? '$(refresh) Re-analyze compose project' : '$(play) Analyze compose project', tooltip: 'Build every service\'s image stage by stage', action: { kind: 'analyzeProject' } });
  if (report && !running) out.push({ line: top, title: '$(graph) Compare services', tooltip: 'Open the services side by side in the Stage Lens panel', action: { kind: 'showComparison' } });
  for (const s of builds) {
    const line = s.build!.line - 1;
    const svc = report?.services.find((x) => x.service === s.name);
    const target = s.build!.target?.value ?? svc?.target ?? null;
    if (svc) {
      const sum = summarizeService(report!, svc);
      const what = svc.error ? `failed: ${svc.error.slice(0, 80)}`
        : sum.finalStage?.error ? `stage ${stageLabel(sum.finalStage)} failed`
          : `${formatBytes(sum.sizeBytes)}${sum.pullBytes !== null ? ` · pull ${formatBytes(sum.pullBytes)}` : ''} · ${sum.stages} ${sum.stages === 1 ? 'stage' : 'stages'}`;
      out.push({ line, title: `$(package) ${s.name} · ${what}${target ? ` (target ${target})` : ''}`, tooltip: 'Compare the services in the Stage Lens panel', action: { kind: 'showComparison' } });
    }
    if (!running) out.push({ line, title: svc ? '$(refresh) Analyze service' : '$(play) Analyze service', tooltip: `Build ${s.name}'s image stage by stage${target ? ` up to target ${target}` : ''}`, action: { kind: 'analyzeService', service: s.name } });
    if (!s.build!.dockerfileInline) out.push({ line, title: `$(go-to-file) Open Dockerfile${target ? ` (target ${target})` : ''}`, tooltip: `Open ${s.name}'s Dockerfile; it then analyses with this service's target and args`, action: { kind: 'openDockerfile', service: s.name } });
  }
  return out;
}

/** The panel's compose view of a report (no arg values: the webview needs none). */
export function composeView(report: ComposeReport | null, fileName: string, files: string[], running: boolean, progress: string | null): ComposeView {
  const services = (report?.services ?? []).map((svc) => {
    const sum = summarizeService(report!, svc);
    const a = svc.analysis !== null ? report!.analyses[svc.analysis] : undefined;
    return {
      service: svc.service,
      dockerfile: svc.dockerfileInline ? 'dockerfile_inline' : relative(svc.context, svc.dockerfile) || svc.dockerfile,
      target: svc.target,
      argCount: Object.keys(svc.args).length,
      sharedWith: svc.sharedWith,
      finalLabel: sum.finalStage ? stageLabel(sum.finalStage) : null,
      finalBytes: sum.sizeBytes,
      pullBytes: sum.pullBytes,
      buildMs: sum.buildMs,
      stages: (a?.stages ?? []).map((s) => ({ label: stageLabel(s), sizeBytes: s.sizeBytes, addedBytes: s.addedBytes, final: s === sum.finalStage, failed: s.error !== null })),
      error: svc.error ?? (sum.finalStage?.error ? `stage ${stageLabel(sum.finalStage)} failed: ${sum.finalStage.error.message.split('\n')[0]}` : null),
    };
  });
  return { fileName, files, running, progress, analysedAt: report?.startedAt ?? null, services };
}
