// Compose projects in the editor: lenses on each service's `build:` (final size once analysed,
// "Analyze service", "Open Dockerfile"), the compose commands, the panel's compose view, and a
// lens on a Dockerfile opened from a service saying which service/target it builds as.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ComposeError, DEFAULT_COMPOSE_FILES, overrideFileFor, selectServices, type ComposeProject, type ComposeReport, type ServiceBuild } from '../core/compose';
import { dockerfileHash } from '../core/hash';
import { parseDockerfile } from '../core/dockerfile/parse';
import { finalStage, formatBytes, type AnalysisReport } from '../core/report';
import { maskSecretsInText } from '../core/secrets';
import type { ComposeWebviewMessage, FinalImageFacts } from '../view/protocol';
import { COMMANDS } from './commandIds';
import { serviceBindings } from './composeBindings';
import { composeLenses, composeView, type ComposeLensAction } from './composeModel';
import { abortOnCancel } from './cancellation';
import { readConfig, SECTION } from './config';
import { DOCKERFILE_SELECTOR, isDockerfile } from './documents';
import { explainError } from '../view/errors';
import { sameDockerfileText } from '../core/hash';
import type { StagePanel } from './panel';
import type { AnalysisStore } from './store';

const COMPOSE_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/{compose,docker-compose}*.{yml,yaml}' },
  { scheme: 'untitled', language: 'dockercompose' },
];

const loadEngine = () => import('../engine/compose');
const loadConnection = () => import('../engine/connection');

function isComposeDocument(doc: vscode.TextDocument | undefined): doc is vscode.TextDocument {
  return !!doc && doc.uri.scheme === 'file' && /^(docker-)?compose[^/]*\.ya?ml$/i.test(path.basename(doc.uri.fsPath));
}

interface ProjectState {
  files: string[];
  report: ComposeReport | null;
  running: AbortController | null;
  progress: string | null;
}

export class ComposeFeature implements vscode.Disposable {
  private readonly projects = new Map<string, ProjectState>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The compose file whose view the panel shows. */
  private shown: string | null = null;

  constructor(private readonly store: AnalysisStore, private readonly panel: StagePanel, private readonly output: vscode.OutputChannel) {
    const composeLensProvider: vscode.CodeLensProvider = {
      onDidChangeCodeLenses: this.changed.event,
      provideCodeLenses: (doc) => this.composeLenses(doc),
    };
    const dockerfileLensProvider: vscode.CodeLensProvider = {
      onDidChangeCodeLenses: this.changed.event,
      provideCodeLenses: (doc) => this.bindingLenses(doc),
    };
    panel.onComposeMessage = (m) => void this.onPanelMessage(m);
    this.subscriptions.push(
      this.changed, serviceBindings,
      serviceBindings.onDidChange(() => this.changed.fire()),
      vscode.languages.registerCodeLensProvider(COMPOSE_SELECTOR, composeLensProvider),
      vscode.languages.registerCodeLensProvider(DOCKERFILE_SELECTOR, dockerfileLensProvider),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration(SECTION)) this.changed.fire(); }),
      vscode.commands.registerCommand(COMMANDS.composeAnalyze, (uri: unknown) => this.analyze(asUri(uri), undefined)),
      vscode.commands.registerCommand(COMMANDS.composeAnalyzeService, (uri: unknown, service: unknown) => this.analyzeServiceCommand(asUri(uri), typeof service === 'string' ? service : undefined)),
      vscode.commands.registerCommand(COMMANDS.composeOpenDockerfile, (uri: unknown, service: unknown) => this.openDockerfile(asUri(uri), typeof service === 'string' ? service : undefined)),
      vscode.commands.registerCommand(COMMANDS.composeShowComparison, (uri: unknown) => this.showComparison(asUri(uri))),
      vscode.commands.registerCommand(COMMANDS.composeUnbind, (uri: unknown) => { const u = asUri(uri); if (u) serviceBindings.set(u, undefined); }),
    );
  }

  // --- lenses ---

  private composeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!isComposeDocument(doc) || vscode.workspace.getConfiguration(SECTION, doc.uri).get<boolean>('compose.lenses.enabled', true) === false) return [];
    const state = this.stateFor(doc.uri.fsPath);
    const specs = composeLenses(doc.getText(), doc.uri.fsPath, process.env, state?.report ?? null, !!state?.running);
    return specs.filter((s) => s.line < doc.lineCount).map((s) => new vscode.CodeLens(doc.lineAt(s.line).range, { title: s.title, tooltip: s.tooltip, ...this.command(s.action, doc.uri) }));
  }

  private command(a: ComposeLensAction, uri: vscode.Uri): { command: string; arguments?: unknown[] } {
    switch (a.kind) {
      case 'analyzeProject': return { command: COMMANDS.composeAnalyze, arguments: [uri] };
      case 'analyzeService': return { command: COMMANDS.composeAnalyzeService, arguments: [uri, a.service] };
      case 'openDockerfile': return { command: COMMANDS.composeOpenDockerfile, arguments: [uri, a.service] };
      case 'showComparison': return { command: COMMANDS.composeShowComparison, arguments: [uri] };
      case 'reveal': return { command: COMMANDS.revealLayer, arguments: [uri, a.line, a.line] };
      case 'none': return { command: '' };
    }
  }

  private bindingLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const b = serviceBindings.get(doc.uri);
    if (!b || !isDockerfile(doc)) return [];
    const line = doc.getText().split(/\r?\n/).findIndex((l) => /^\s*FROM\s/i.test(l));
    const at = doc.lineAt(Math.max(0, line)).range;
    const n = Object.keys(b.args).length;
    return [
      new vscode.CodeLens(at, {
        title: `$(link) compose service ${b.service}${b.target ? ` · target ${b.target}` : ''}${n ? ` · ${n} build ${n === 1 ? 'arg' : 'args'}` : ''}`,
        tooltip: `Analyze builds this Dockerfile as ${b.service} in ${path.basename(b.composeFile)} does (context ${b.context}${b.network ? `, network ${b.network}` : ''})`,
        command: 'vscode.open', arguments: [vscode.Uri.file(b.composeFile)],
      }),
      new vscode.CodeLens(at, { title: '$(close) Use own settings', tooltip: 'Analyze this Dockerfile with the Stage Lens settings instead of the service\'s', command: COMMANDS.composeUnbind, arguments: [doc.uri] }),
    ];
  }

  // --- project state ---

  /** The project files for a compose file: it plus its `.override` file (what `docker compose` reads). */
  private projectFiles(file: string): string[] {
    const dir = path.dirname(file);
    const name = path.basename(file);
    const base = DEFAULT_COMPOSE_FILES.find((n) => overrideFileFor(n) === name);
    if (base && fs.existsSync(path.join(dir, base))) return [path.join(dir, base), file];
    const override = path.join(dir, overrideFileFor(name));
    return (DEFAULT_COMPOSE_FILES as readonly string[]).includes(name) && fs.existsSync(override) ? [file, override] : [file];
  }

  private stateFor(file: string): ProjectState | undefined {
    for (const s of this.projects.values()) if (s.files.includes(file)) return s;
    return undefined;
  }

  private async composeFile(uri: vscode.Uri | undefined): Promise<string | undefined> {
    if (uri?.scheme === 'file') return uri.fsPath;
    const active = vscode.window.activeTextEditor?.document;
    if (isComposeDocument(active)) return active.uri.fsPath;
    if (this.shown) return this.shown;
    const found = await vscode.workspace.findFiles('**/{compose,docker-compose}*.{yml,yaml}', '**/node_modules/**', 50);
    const candidates = found.filter((u) => !/\.override\./.test(u.fsPath));
    if (candidates.length === 1) return candidates[0]!.fsPath;
    if (!candidates.length) { void vscode.window.showInformationMessage('Stage Lens: no compose file (compose.yaml, docker-compose.yml, …) in this workspace.'); return undefined; }
    const pick = await vscode.window.showQuickPick(candidates.map((u) => ({ label: vscode.workspace.asRelativePath(u), file: u.fsPath })), { title: 'Analyze which compose project?' });
    return pick?.file;
  }

  private async loadProject(file: string): Promise<ComposeProject | undefined> {
    const files = this.projectFiles(file);
    const texts = new Map<string, string>();
    for (const d of vscode.workspace.textDocuments) if (d.uri.scheme === 'file' && files.includes(d.uri.fsPath)) texts.set(d.uri.fsPath, d.getText());
    try {
      const { loadComposeProject } = await loadEngine();
      return loadComposeProject({ files, cwd: path.dirname(file), env: process.env, texts });
    } catch (e) {
      this.showComposeError(e);
      return undefined;
    }
  }

  private showComposeError(e: unknown): void {
    if (!(e instanceof ComposeError)) { void vscode.window.showErrorMessage(`Stage Lens: ${explainError(e, '').message}`); return; }
    const msg = `Stage Lens: ${path.basename(e.file)}${e.line ? `:${e.line}` : ''}: ${e.key ? `${e.key}: ` : ''}${e.detail}`;
    this.output.appendLine(msg);
    void vscode.window.showErrorMessage(msg, ...(e.line ? ['Go to Line'] : [])).then((pick) => {
      if (pick && e.line) void vscode.commands.executeCommand(COMMANDS.revealLayer, vscode.Uri.file(e.file), e.line, e.line);
    });
  }

  // --- commands ---

  private async analyzeServiceCommand(uri: vscode.Uri | undefined, service: string | undefined): Promise<void> {
    const file = await this.composeFile(uri);
    if (!file) return;
    let name = service;
    if (!name) {
      const project = await this.loadProject(file);
      if (!project) return;
      const pick = await vscode.window.showQuickPick(project.builds.map((b) => ({ label: b.service, description: `${path.relative(b.context, b.dockerfile)}${b.target ? ` · target ${b.target}` : ''}` })), { title: 'Analyze which service?' });
      if (!pick) return;
      name = pick.label;
    }
    await this.analyze(vscode.Uri.file(file), [name]);
  }

  async analyze(uri: vscode.Uri | undefined, services: string[] | undefined): Promise<ComposeReport | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Stage Lens builds run the Dockerfiles\' RUN commands, so they need a trusted workspace.', 'Manage Workspace Trust').then((p) => { if (p) void vscode.commands.executeCommand('workbench.trust.manage'); });
      return undefined;
    }
    const file = await this.composeFile(uri);
    if (!file) return undefined;
    const project = await this.loadProject(file);
    if (!project) return undefined;
    let builds: ServiceBuild[];
    try {
      builds = selectServices(project, services ?? []);
      if (!builds.length) throw new ComposeError('no service has a build: section; nothing to analyse.', file, null, 'services');
      const { checkServiceBuild } = await loadEngine();
      for (const b of builds) { const e = checkServiceBuild(b); if (e) throw e; }
    } catch (e) { this.showComposeError(e); return undefined; }

    const key = project.files.join('\n');
    const state: ProjectState = this.projects.get(key) ?? { files: project.files, report: null, running: null, progress: null };
    this.projects.set(key, state);
    if (state.running) { void vscode.window.showInformationMessage('Stage Lens: this compose project is already being analysed.'); return undefined; }
    const ctrl = new AbortController();
    state.running = ctrl;
    state.progress = 'Connecting to the engine';
    this.shown = file;
    this.changed.fire();
    this.postView(state, true);
    const cfg = readConfig(vscode.Uri.file(file));
    const allArgs = Object.assign({}, cfg.buildArgs, ...builds.map((b) => b.args)) as Record<string, string>;
    const mask = (s: string): string => maskSecretsInText(s, allArgs);
    for (const w of project.warnings) this.output.appendLine(`Compose: ${w}`);
    this.output.appendLine(`[${new Date().toISOString()}] Analyze compose ${project.files.join(' + ')}: ${builds.map((b) => b.service).join(', ')} (endpoint ${cfg.endpoint || 'automatic'})`);
    const subscriptions: vscode.Disposable[] = [];
    try {
      const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stage Lens: ${path.basename(file)}`, cancellable: true }, async (progress, token) => {
        subscriptions.push(abortOnCancel(token, ctrl));
        const { connectEngine } = await loadConnection();
        const { analyzeComposeServices } = await loadEngine();
        const connection = await connectEngine({ explicit: cfg.endpoint || undefined, signal: ctrl.signal });
        return analyzeComposeServices({
          project, builds, connection, builder: cfg.builder, defaultNetwork: cfg.network === 'default' ? undefined : cfg.network, signal: ctrl.signal,
          onJob: (job, pos, count) => {
            state.progress = `Building ${job.services.join(', ')} (${pos}/${count})`;
            progress.report({ message: state.progress });
            this.output.appendLine(mask(`--- ${state.progress}: ${job.build.dockerfileInline !== null ? 'dockerfile_inline' : job.build.dockerfile}${job.build.target ? ` target ${job.build.target}` : ''}`));
            this.postView(state, false);
          },
          onProgress: (_job, e) => {
            if (e.type === 'log' || e.type === 'classic') this.output.append(mask(e.text.endsWith('\n') ? e.text : `${e.text}\n`));
            else if (e.type === 'stage-finish') this.output.appendLine(mask(`${e.name ?? `stage ${e.stage}`}: ${e.error ? `failed: ${e.error.message}` : formatBytes(e.sizeBytes)}`));
          },
        });
      });
      state.report = services?.length && state.report ? mergeReports(state.report, report) : report;
      for (const s of report.services) this.output.appendLine(`${s.service}: ${s.error ?? 'done'}`);
      this.syncBoundDockerfiles(state.report);
      return state.report;
    } catch (err) {
      const ex = explainError(err, cfg.endpoint);
      this.output.appendLine(mask(`Compose analysis failed: ${ex.message}${ex.fix ? ` ${ex.fix}` : ''}`));
      if (ex.kind !== 'cancelled') void vscode.window.showErrorMessage(mask(`Stage Lens: ${ex.message}${ex.fix ? ` ${ex.fix}` : ''}`));
      return undefined;
    } finally {
      for (const sub of subscriptions) sub.dispose();
      state.running = null;
      state.progress = null;
      this.changed.fire();
      this.postView(state, false);
    }
  }

  private postView(state: ProjectState, reveal: boolean): void {
    const file = this.shown ?? state.files[0]!;
    if (!state.files.includes(file)) return;
    if (!reveal && !this.panel.composeShown) return;
    const dir = path.dirname(state.files[0]!);
    this.panel.showCompose(composeView(state.report, path.basename(file), state.files.map((f) => path.relative(dir, f) || f), !!state.running, state.progress), reveal);
  }

  async showComparison(uri: vscode.Uri | undefined): Promise<void> {
    const file = await this.composeFile(uri);
    if (!file) return;
    this.shown = file;
    const state = this.stateFor(file) ?? { files: this.projectFiles(file), report: null, running: null, progress: null };
    this.postView(state, true);
  }

  async openDockerfile(uri: vscode.Uri | undefined, service: string | undefined): Promise<void> {
    const file = await this.composeFile(uri);
    if (!file) return;
    const project = await this.loadProject(file);
    if (!project) return;
    const b = project.builds.find((x) => x.service === service) ?? (project.builds.length === 1 ? project.builds[0] : undefined);
    if (!b) { void vscode.window.showInformationMessage(`Stage Lens: no service ${service ?? ''} with a build: section in ${path.basename(file)}.`); return; }
    if (b.dockerfileInline !== null) { void vscode.window.showInformationMessage(`Stage Lens: ${b.service} uses dockerfile_inline; analyse it from the compose file.`); return; }
    if (!fs.existsSync(b.dockerfile)) { void vscode.window.showErrorMessage(`Stage Lens: ${b.service}'s Dockerfile ${b.dockerfile} does not exist.`); return; }
    const dfUri = vscode.Uri.file(b.dockerfile);
    serviceBindings.set(dfUri, { service: b.service, composeFile: b.file, context: b.context, target: b.target, args: b.args, network: b.network });
    const doc = await vscode.workspace.openTextDocument(dfUri);
    if (doc.languageId !== 'dockerfile') await vscode.languages.setTextDocumentLanguage(doc, 'dockerfile');
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One });
    const state = this.stateFor(file);
    if (state?.report) this.syncBoundDockerfiles(state.report);
  }

  /**
   * A Dockerfile opened from a service gets that service's analysis as its own, when the report
   * was made from the text now in the editor (same hash), so its lenses show sizes at once.
   */
  private syncBoundDockerfiles(report: ComposeReport): void {
    for (const doc of vscode.workspace.textDocuments) {
      const b = serviceBindings.get(doc.uri);
      const svc = b && report.services.find((s) => s.service === b.service && s.dockerfile === doc.uri.fsPath);
      const a = svc && svc.analysis !== null ? report.analyses[svc.analysis] : undefined;
      if (!a || a.dockerfileHash !== dockerfileHash(doc.getText())) continue;
      const prev = this.store.get(doc.uri);
      if (prev && prev.report.startedAt >= a.startedAt && sameDockerfileText(prev.text, doc.getText())) continue;
      this.store.set(doc.uri, { report: a, text: doc.getText(), facts: userFacts(a, doc.getText()) });
    }
  }

  private async onPanelMessage(m: ComposeWebviewMessage): Promise<void> {
    const file = this.shown;
    if (m.type === 'compose/close') { this.shown = null; this.panel.showCompose(null, false); return; }
    if (!file) return;
    if (m.type === 'compose/analyze') await this.analyze(vscode.Uri.file(file), m.service ? [m.service] : undefined);
    else await this.openDockerfile(vscode.Uri.file(file), m.service);
  }

  dispose(): void {
    for (const s of this.projects.values()) s.running?.abort();
    this.panel.onComposeMessage = undefined;
    for (const d of this.subscriptions) d.dispose();
  }
}

/** A one-service run updates that service inside the earlier project report. */
function mergeReports(prev: ComposeReport, next: ComposeReport): ComposeReport {
  const analyses = [...next.analyses];
  const replaced = new Set(next.services.map((s) => s.service));
  const services = prev.services.filter((s) => !replaced.has(s.service)).map((s) => {
    if (s.analysis === null) return { ...s };
    analyses.push(prev.analyses[s.analysis]!);
    return { ...s, analysis: analyses.length - 1 };
  });
  const order = new Map(prev.services.map((s, i) => [s.service, i]));
  const all = [...services, ...next.services].sort((a, b) => (order.get(a.service) ?? 1e9) - (order.get(b.service) ?? 1e9));
  // Analyses of old services appended twice for shared builds are harmless; keep indices exact.
  return { ...next, services: all, analyses };
}

/** What the Dockerfile says about the final image's user (the image itself is not read here). */
function userFacts(report: AnalysisReport, text: string): FinalImageFacts | null {
  const fin = finalStage(report);
  const stage = fin ? parseDockerfile(text).stages[fin.index] : undefined;
  if (!stage) return null;
  const users = stage.instructions.filter((i) => i.keyword === 'USER');
  return { user: users.length ? users[users.length - 1]!.args : null, contentsKnown: false, compilers: [], packageManagers: [], shells: [] };
}

function asUri(v: unknown): vscode.Uri | undefined {
  return v instanceof vscode.Uri ? v : undefined;
}
