// Which documents Stage Lens works on, and the findings cache (one computation per version).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readConfig } from './config';
import type { AnalysisStore } from './store';
import type { ContextListing, Finding, Suggester } from './services';
import { sameDockerfileText } from './model/lenses';

export const DOCKERFILE_SELECTOR: vscode.DocumentSelector = [{ language: 'dockerfile' }];

export function isDockerfile(doc: vscode.TextDocument | undefined): doc is vscode.TextDocument {
  return !!doc && doc.languageId === 'dockerfile';
}

export function activeDockerfile(): vscode.TextDocument | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return isDockerfile(doc) ? doc : undefined;
}

export class FindingsCache {
  private readonly cache = new Map<string, { version: number; reportStamp: string | null; findings: Finding[] }>();

  constructor(private readonly suggester: Suggester, private readonly store: AnalysisStore) {}

  get(doc: vscode.TextDocument): Finding[] {
    const cfg = readConfig(doc.uri);
    if (!cfg.suggestionsEnabled) return [];
    const recent = this.store.recent(doc.uri);
    // A report made from other text must not lend its measurements to the current findings; the
    // others (e.g. the built rewrite) only serve to measure what a fix saves.
    const report = recent.find((a) => sameDockerfileText(a.text, doc.getText()))?.report ?? null;
    const fixReports = recent.map((a) => a.report);
    const stamp = recent.length ? recent.map((a) => a.report.startedAt).join(',') : null;
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version && hit.reportStamp === stamp) return hit.findings;
    let findings: Finding[] = [];
    try {
      findings = this.suggester.findings(doc.getText(), {
        report, fixReports, disabledRules: cfg.disabledRules, buildkit: cfg.builder !== 'classic', context: contextListing(doc),
      });
    } catch {
      // A rule bug must not take the editor surfaces down; the CLI reports rule errors.
      findings = [];
    }
    this.cache.set(key, { version: doc.version, reportStamp: stamp, findings });
    return findings;
  }

  invalidate(uri?: vscode.Uri): void {
    if (uri) this.cache.delete(uri.toString()); else this.cache.clear();
  }
}

/** Top level of the build context (the Dockerfile's folder) for the .dockerignore rule. */
function contextListing(doc: vscode.TextDocument): ContextListing | null {
  if (doc.uri.scheme !== 'file') return null;
  const dir = path.dirname(doc.uri.fsPath);
  try {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).slice(0, 500).map((e) => {
      let bytes = 0;
      // Directory sizes would need a walk; the rule judges directories by name.
      if (e.isFile()) { try { bytes = fs.statSync(path.join(dir, e.name)).size; } catch { /* vanished */ } }
      return { name: e.name, bytes, directory: e.isDirectory() };
    });
    return { hasDockerignore: entries.some((e) => e.name === '.dockerignore'), entries };
  } catch {
    return null;
  }
}
