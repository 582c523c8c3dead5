// Which documents Stage Lens works on, and the findings cache (one computation per version).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { sameDockerfileText } from '../core/hash';
import { readConfig } from './config';
import type { AnalysisStore } from './store';
import type { ContextListing, Finding, Suggester } from './services';

export const DOCKERFILE_SELECTOR: vscode.DocumentSelector = [{ language: 'dockerfile' }];

export function isDockerfile(doc: vscode.TextDocument | undefined): doc is vscode.TextDocument {
  return !!doc && doc.languageId === 'dockerfile';
}

export function activeDockerfile(): vscode.TextDocument | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return isDockerfile(doc) ? doc : undefined;
}

/**
 * Findings per document. A cached entry is reused only while everything that went into it is
 * unchanged: the document version, the report it borrowed measurements from, the settings that
 * change findings, and the build context's .dockerignore (bug: a version-only key kept showing
 * findings of a rule the user had just disabled), and the engine's sizes of the images rewrites
 * run on. Fires `onDidChange` when settings, a .dockerignore or those sizes change, so lenses and
 * diagnostics recompute without waiting for an edit.
 */
export class FindingsCache implements vscode.Disposable {
  private readonly cache = new Map<string, { key: string; findings: Finding[] }>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Bumped on every .dockerignore create/change/delete; part of each entry's key. */
  private contextGeneration = 0;

  constructor(private readonly suggester: Suggester, private readonly store: AnalysisStore) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.dockerignore');
    const contextChanged = (): void => { this.contextGeneration++; this.cache.clear(); this.changed.fire(); };
    this.subscriptions.push(
      watcher, this.changed,
      watcher.onDidCreate(contextChanged), watcher.onDidChange(contextChanged), watcher.onDidDelete(contextChanged),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('stageLens')) { this.cache.clear(); this.changed.fire(); }
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString())),
      // The engine told the size of a rewrite's slim base: savings estimates change, no edit needed.
      store.onDidChangeImageSizes(() => { this.cache.clear(); this.changed.fire(); }),
    );
  }

  get(doc: vscode.TextDocument): Finding[] {
    const cfg = readConfig(doc.uri);
    if (!cfg.suggestionsEnabled) return [];
    const recent = this.store.recent(doc.uri);
    // A report made from other text must not lend its measurements to the current findings; the
    // others (e.g. the built rewrite) only serve to measure what a fix saves.
    const report = recent.find((a) => sameDockerfileText(a.text, doc.getText()))?.report ?? null;
    const fixReports = recent.map((a) => a.report);
    const imageSizes = this.store.imageSizes(cfg.endpoint);
    const key = JSON.stringify([doc.version, recent.map((a) => a.report.startedAt), cfg.disabledRules, cfg.builder, cfg.endpoint, imageSizes, this.contextGeneration]);
    const uri = doc.uri.toString();
    const hit = this.cache.get(uri);
    if (hit && hit.key === key) return hit.findings;
    let findings: Finding[] = [];
    try {
      findings = this.suggester.findings(doc.getText(), {
        report, fixReports, disabledRules: cfg.disabledRules, buildkit: cfg.builder !== 'classic', context: contextListing(doc), imageSizes,
      });
    } catch {
      // A rule bug must not take the editor surfaces down; the CLI reports rule errors.
      findings = [];
    }
    this.cache.set(uri, { key, findings });
    return findings;
  }

  invalidate(uri?: vscode.Uri): void {
    if (uri) this.cache.delete(uri.toString()); else this.cache.clear();
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.cache.clear();
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
