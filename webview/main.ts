// The stage panel. Renders into light DOM so media/panel.css (theme variables only) styles it;
// every Dockerfile- or image-derived string goes through Lit text bindings, never as HTML.
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { engineLabel, finalStage, formatBytes, formatDuration, formatSizeWithPull, type AnalysisReport, type LayerReport, type StageReport } from '../src/core/report';
import { isPanelState, type ComparisonView, type ComposeView, type HostMessage, type PanelAction, type PanelState, type ProgressView } from '../src/view/protocol';
import { baseLabel, filesystemLayers, splitBytes, stageLabel } from '../src/view/stages';
import { renderLineDelta, renderStageDeltas } from './compare';
import { renderCompose } from './compose';
import { FilesController } from './files';
import { loadState, post, saveState } from './vscodeApi';

const EMPTY: PanelState = { document: null, report: null, stale: false, facts: null, comparison: null, progress: null, notice: null };

/** Bar width as a percentage string, clamped; applied through CSSOM in `updated()`. */
function pct(fraction: number): string {
  return Number.isFinite(fraction) ? String(Math.min(100, Math.max(0, fraction * 100)).toFixed(2)) : '0';
}

class StageLensApp extends LitElement {
  private state: PanelState = EMPTY;
  private readonly files = new FilesController(this);
  /** Set while the panel shows a compose project instead of the Dockerfile (webview/compose.ts). */
  private compose: ComposeView | null = null;

  protected override createRenderRoot(): HTMLElement { return this; }

  override connectedCallback(): void {
    super.connectedCallback();
    const saved = loadState();
    if (isPanelState(saved)) this.state = saved;
    window.addEventListener('message', this.onMessage);
    post({ type: 'ready' });
  }

  override disconnectedCallback(): void {
    window.removeEventListener('message', this.onMessage);
    super.disconnectedCallback();
  }

  private readonly onMessage = (ev: MessageEvent<HostMessage>): void => {
    const m = ev.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'state') this.setPanelState(m.state);
    else if (m.type === 'progress') this.setPanelState({ ...this.state, progress: m.progress });
    else if (m.type === 'focusStage') void this.focusStage(m.stageIndex);
    else if (m.type === 'compose') { this.compose = m.compose; this.requestUpdate(); }
    else this.files.handle(m);
  };

  // The CSP has no 'unsafe-inline' for styles, so a style attribute would be blocked; widths go
  // through CSSOM, which the policy allows.
  protected override updated(): void {
    for (const el of this.querySelectorAll<HTMLElement>('[data-pct]')) el.style.width = `${el.dataset.pct ?? '0'}%`;
  }

  private setPanelState(s: PanelState): void {
    this.state = s;
    this.files.sync(s.report?.stages ?? null);
    saveState(s);
    this.requestUpdate();
  }

  private async focusStage(index: number): Promise<void> {
    await this.updateComplete;
    const el = this.querySelector<HTMLElement>(`section[data-stage-index="${index}"]`);
    if (!el) return;
    el.scrollIntoView({ block: 'start' });
    el.querySelector<HTMLElement>('.stage-heading')?.focus();
  }

  private action(a: PanelAction): void { post({ type: 'action', action: a }); }

  private reveal(l: LayerReport): void {
    if (l.line !== null) post({ type: 'revealLine', line: l.line, endLine: l.endLine ?? l.line });
  }

  protected override render(): TemplateResult {
    if (this.compose) return renderCompose(this.compose, post);
    const s = this.state;
    const running = !!s.progress?.running;
    return html`
      <header class="toolbar">
        <h1>${s.document ? s.document.fileName : 'No Dockerfile'}</h1>
        ${s.stale ? html`<vscode-badge class="stale" title="The Dockerfile changed since this analysis">stale</vscode-badge>` : nothing}
        <span class="spacer"></span>
        ${running
          ? html`<vscode-button secondary @click=${() => this.action('cancel')}>Cancel</vscode-button>`
          : html`<vscode-button ?disabled=${!s.document} @click=${() => this.action('analyze')}>${s.report ? 'Re-analyze' : 'Analyze stages'}</vscode-button>`}
        <vscode-button secondary ?disabled=${!s.document || running} @click=${() => this.action('refactor')}>Refactor…</vscode-button>
        <vscode-button secondary ?disabled=${!s.document || running} @click=${() => this.action('applyAndMeasure')}>Refactor and measure</vscode-button>
      </header>
      ${s.notice ? html`<p class="notice" role="status">${s.notice}</p>` : nothing}
      ${s.stale ? html`<p class="notice" role="status">The Dockerfile changed since this analysis; sizes describe the earlier text.</p>` : nothing}
      ${s.progress ? this.renderProgress(s.progress) : nothing}
      ${s.comparison ? this.renderComparison(s.comparison) : nothing}
      ${s.report ? this.renderReport(s.report) : running ? nothing : html`<p class="empty">${s.document
        ? 'Analyze the stages to see what each one costs: every stage is built through the Docker engine and measured.'
        : 'Open a Dockerfile to see its stages.'}</p>`}
    `;
  }

  private renderProgress(p: ProgressView): TemplateResult {
    return html`
      <section id="progress" aria-live="polite" aria-label="Build progress">
        <h2>${p.running ? html`<vscode-progress-ring class="ring"></vscode-progress-ring>` : nothing}${p.title}</h2>
        <ol class="steps">
          ${p.steps.map((st) => html`
            <li class=${st.error ? 'step error' : st.done ? 'step done' : 'step'}>
              <span class="step-name">${st.name}</span>
              ${st.cached ? html`<vscode-badge>cached</vscode-badge>` : nothing}
              <span class="step-time">${st.error ? st.error : st.done ? formatDuration(st.durationMs) : st.startedMs !== null ? 'running' : 'waiting'}</span>
            </li>`)}
        </ol>
      </section>`;
  }

  private renderReport(r: AnalysisReport): TemplateResult {
    const fin = finalStage(r);
    const max = Math.max(1, ...r.stages.map((s) => s.sizeBytes ?? 0));
    return html`
      <section id="chart" aria-label="Stage sizes">
        <h2>Stages</h2>
        <div class="legend"><span class="swatch base"></span>from base <span class="swatch added"></span>added by the stage</div>
        ${r.stages.map((s) => {
          const { base, added } = splitBytes(s);
          const isFin = fin?.index === s.index;
          return html`
            <div class="chart-row ${isFin ? 'final' : ''}" data-chart-stage=${s.index}>
              <span class="chart-label">${stageLabel(s)}${isFin ? html` <vscode-badge>final</vscode-badge>` : nothing}</span>
              <span class="bar" aria-hidden="true">
                <span class="bar-base" data-pct=${pct(base / max)}></span><span class="bar-added" data-pct=${pct(added / max)}></span>
              </span>
              <span class="chart-size">${s.error ? 'failed' : formatSizeWithPull(s.sizeBytes, s.pullSizeBytes)}</span>
            </div>`;
        })}
        <p class="totals">Final image ${fin ? html`<strong>${formatSizeWithPull(fin.sizeBytes, fin.pullSizeBytes)}</strong>` : '—'} · ${r.stages.length} ${r.stages.length === 1 ? 'stage' : 'stages'} · analysis ${formatDuration(r.durationMs)} · <span class="engine">${engineLabel(r.engine)}</span>${r.cancelled ? ' · cancelled' : ''}</p>
      </section>
      ${fin ? this.renderFinal(r, fin) : nothing}
      ${r.stages.map((s) => this.renderStage(r, s, fin?.index === s.index))}
    `;
  }

  private renderFinal(r: AnalysisReport, fin: StageReport): TemplateResult {
    const f = this.state.facts;
    const list = (xs: string[]): string => (xs.length ? xs.join(', ') : 'none found');
    return html`
      <section id="final-summary" aria-label="Final image">
        <h2>Final image: ${stageLabel(fin)}</h2>
        <dl>
          <dt>Size</dt><dd class="final-size">${formatBytes(fin.sizeBytes)}</dd>
          ${typeof fin.pullSizeBytes === 'number' ? html`<dt>Pull size</dt><dd class="final-pull-size">${formatBytes(fin.pullSizeBytes)} compressed</dd>` : nothing}
          <dt>Layers</dt><dd>${filesystemLayers(fin).length}</dd>
          <dt>Based on</dt><dd>${baseLabel(r, fin)}</dd>
          <dt>User</dt><dd>${f?.user ?? 'root (no USER instruction)'}</dd>
          ${f?.contentsKnown ? html`
            <dt>Compilers</dt><dd>${list(f.compilers)}</dd>
            <dt>Package managers</dt><dd>${list(f.packageManagers)}</dd>
            <dt>Shells</dt><dd>${list(f.shells)}</dd>` : nothing}
        </dl>
      </section>`;
  }

  private renderStage(r: AnalysisReport, s: StageReport, isFinal: boolean): TemplateResult {
    const own = s.layers.filter((l) => !l.fromBase);
    const base = s.layers.filter((l) => l.fromBase);
    const max = Math.max(1, ...s.layers.map((l) => l.sizeBytes));
    const baseBytes = base.reduce((a, l) => a + l.sizeBytes, 0);
    return html`
      <section class="stage ${isFinal ? 'final' : ''}" data-stage-index=${s.index} aria-label=${`Stage ${stageLabel(s)}`}>
        <h3 class="stage-heading" tabindex="-1">
          <span class="stage-name">${stageLabel(s)}</span>
          <span class="stage-size">${s.error ? 'failed' : formatSizeWithPull(s.sizeBytes, s.pullSizeBytes)}</span>
          <span class="muted">${s.error ? '' : `+${formatBytes(splitBytes(s).added)} over ${baseLabel(r, s)} · ${filesystemLayers(s).length} layers · ${formatDuration(s.buildMs)}${s.reused ? ' · reused (unchanged since the last analysis)' : ''} · line ${s.line}`}</span>
        </h3>
        ${s.error ? html`<p class="error">${s.error.message}${s.error.line ? ` (line ${s.error.line})` : ''}</p>` : nothing}
        ${base.length ? html`
          <details class="base-layers">
            <summary>${baseLabel(r, s)} — ${formatBytes(baseBytes)} in ${base.filter((l) => !l.empty).length} base layers</summary>
            <ul class="layers">${base.map((l) => this.renderLayer(l, max, true))}</ul>
          </details>` : nothing}
        <ul class="layers">${own.map((l) => this.renderLayer(l, max, false))}</ul>
        ${this.files.render(s)}
      </section>`;
  }

  private renderLayer(l: LayerReport, max: number, fromBase: boolean): TemplateResult {
    const text = (l.instruction ?? l.createdBy).split(/\r?\n/)[0] ?? '';
    const body = html`
      <span class="layer-bar" aria-hidden="true"><span class="bar-added" data-pct=${pct(l.sizeBytes / max)}></span></span>
      <span class="layer-size">${l.empty ? '0 B' : formatBytes(l.sizeBytes)}</span>
      <code class="layer-text" title=${l.instruction ?? l.createdBy}>${text}</code>
      <span class="layer-meta">${l.line !== null ? `line ${l.line}` : ''}${l.cached ? ' · cached' : ''}${l.durationMs !== null ? ` · ${formatDuration(l.durationMs)}` : ''}</span>`;
    if (fromBase || l.line === null) {
      return html`<li class="layer base ${l.empty ? 'empty' : ''}" data-base-layer-index=${l.index}>${body}</li>`;
    }
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.reveal(l); }
    };
    return html`<li class="layer ${l.empty ? 'empty' : ''}" role="button" tabindex="0" data-layer-index=${l.index} data-line=${l.line}
      aria-label=${`Line ${l.line}: ${text}, ${formatBytes(l.sizeBytes)}`}
      @click=${() => this.reveal(l)} @keydown=${onKey}>${body}</li>`;
  }

  private renderComparison(c: ComparisonView): TemplateResult {
    const b = c.before, a = c.after;
    const delta = b.finalBytes !== null && a.finalBytes !== null ? a.finalBytes - b.finalBytes : null;
    return html`
      <section id="comparison" data-before-bytes=${b.finalBytes ?? ''} data-after-bytes=${a.finalBytes ?? ''} aria-label=${c.title ?? 'Before and after the refactor'}>
        <h2>${c.title ?? 'Before and after the refactor'}</h2>
        <table>
          <thead><tr><th scope="col"></th><th scope="col">${c.beforeLabel ?? 'Before'}</th><th scope="col">${c.afterLabel ?? 'After'}</th><th scope="col">Change</th></tr></thead>
          <tbody>
            <tr><th scope="row">Final image</th><td class="before-size">${formatBytes(b.finalBytes)}</td><td class="after-size">${formatBytes(a.finalBytes)}</td>
              <td class=${delta !== null && delta < 0 ? 'better' : 'worse'}>${delta === null ? '—' : `${delta <= 0 ? '−' : '+'}${formatBytes(Math.abs(delta))}${b.finalBytes ? ` (${Math.round((Math.abs(delta) / b.finalBytes) * 100)}%)` : ''}`}</td></tr>
            <tr><th scope="row">Final layers</th><td>${b.finalLayers}</td><td>${a.finalLayers}</td><td>${a.finalLayers - b.finalLayers >= 0 ? '+' : ''}${a.finalLayers - b.finalLayers}</td></tr>
            <tr><th scope="row">Build time</th><td>${formatDuration(b.buildMs)}</td><td>${formatDuration(a.buildMs)}</td><td></td></tr>
            <tr><th scope="row">Stages</th><td>${b.stages.map((s) => html`<div>${s.label}: ${formatBytes(s.sizeBytes)}</div>`)}</td>
              <td>${a.stages.map((s) => html`<div>${s.label}: ${formatBytes(s.sizeBytes)}</div>`)}</td><td></td></tr>
          </tbody>
        </table>
        ${renderStageDeltas(c)}
        <details class="diff" open>
          <summary>Dockerfile changes</summary>
          <pre class="diff-lines">${c.diff.map((d) => html`<div class="diff-${d.op}"><span class="diff-sign">${d.op === 'add' ? '+' : d.op === 'del' ? '-' : ' '}</span>${d.text}${renderLineDelta(d)}</div>`)}</pre>
        </details>
      </section>`;
  }
}

customElements.define('stage-lens-app', StageLensApp);
