// The Files and Wasted space sections of one stage: a paged directory listing of the stage
// image's layer contents (the host keeps the index and answers files/list), and the top wasted
// paths with the lines that wrote and removed them. Only one stage's Files view is open at a time.
import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { formatBytes, type StageReport } from '../src/core/report';
import type { FileChange, FileRow, FilesSort, FilesView, HostMessage, StageContentsView, WastedRow } from '../src/view/protocol';
import {
  EMPTY_WINDOW, PAGE_SIZE, breadcrumb, browsableLayers, efficiencyText, fileRowTexts, layerOptionLabel, mergePage, nextOffset,
  previousPage, wastedLines, windowText, type RowWindow,
} from '../src/view/files';
import { post } from './vscodeApi';

type Status = 'loading' | 'ready' | 'error';
type Mode = 'replace' | 'append' | 'prepend';
const FILTERS: Array<Exclude<FileChange, 'unchanged'>> = ['added', 'modified', 'removed'];

function onActivate(fn: () => void): (e: KeyboardEvent) => void {
  return (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); fn(); }
  };
}

export class FilesController implements ReactiveController {
  private stageIndex: number | null = null;
  private imageId: string | null = null;
  private status: Status = 'loading';
  private message = '';
  private contents: StageContentsView | null = null;
  private layer = 0;
  private view: FilesView = 'layer';
  private readonly filters = new Set<Exclude<FileChange, 'unchanged'>>();
  private sort: FilesSort = 'size';
  private dir = '/';
  private window: RowWindow = EMPTY_WINDOW;
  private requestSeq = 0;
  private pending: { id: number; mode: Mode } | null = null;
  private listError: string | null = null;

  constructor(private readonly host: ReactiveControllerHost) { host.addController(this); }

  hostConnected(): void { /* state arrives through handle() */ }

  get openStage(): number | null { return this.stageIndex; }

  open(stage: StageReport): void {
    this.stageIndex = stage.index;
    this.imageId = stage.imageId;
    this.status = 'loading';
    this.contents = null;
    this.resetListing('/');
    post({ type: 'files/open', stageIndex: stage.index });
    this.host.requestUpdate();
  }

  close(): void {
    this.stageIndex = null;
    this.imageId = null;
    this.contents = null;
    this.pending = null;
    this.host.requestUpdate();
  }

  /** A new report: close the view when its stage is gone or was rebuilt into another image. */
  sync(stages: readonly StageReport[] | null): void {
    if (this.stageIndex === null) return;
    const s = stages?.find((x) => x.index === this.stageIndex);
    if (!s || s.imageId !== this.imageId) this.close();
  }

  /** Handles files/* messages; false for anything else. */
  handle(m: HostMessage): boolean {
    if (m.type === 'files/status') {
      if (m.stageIndex !== this.stageIndex || (m.imageId !== null && m.imageId !== this.imageId)) return true;
      if (m.status === 'ready') {
        this.status = 'ready';
        this.contents = m.contents;
        const layers = browsableLayers(m.contents.layers);
        const own = layers.filter((l) => l.line !== null);
        this.layer = (own[own.length - 1] ?? layers[layers.length - 1])?.index ?? 0;
        this.resetListing('/');
        this.request('replace', 0, PAGE_SIZE);
      } else if (m.status === 'error') {
        this.status = 'error';
        this.message = m.message;
      } else {
        this.status = 'loading';
      }
      this.host.requestUpdate();
      return true;
    }
    if (m.type === 'files/page' || m.type === 'files/error') {
      if (!this.pending || m.requestId !== this.pending.id || m.stageIndex !== this.stageIndex) return true;
      const mode = this.pending.mode;
      this.pending = null;
      if (m.type === 'files/error') {
        this.listError = m.message;
      } else {
        this.listError = null;
        this.window = mode === 'replace' ? mergePage(EMPTY_WINDOW, m.page) : mergePage(this.window, m.page);
      }
      this.host.requestUpdate();
      return true;
    }
    return false;
  }

  private resetListing(dir: string): void {
    this.dir = dir;
    this.window = EMPTY_WINDOW;
    this.listError = null;
    this.pending = null;
  }

  private request(mode: Mode, offset: number, limit: number): void {
    if (this.stageIndex === null) return;
    const id = ++this.requestSeq;
    this.pending = { id, mode };
    post({
      type: 'files/list', requestId: id, stageIndex: this.stageIndex, layer: this.layer, view: this.view, dir: this.dir,
      ...(this.filters.size ? { changes: [...this.filters] } : {}),
      sort: this.sort, descending: this.sort === 'size', offset, limit,
    });
    this.host.requestUpdate();
  }

  private reload(dir = this.dir): void {
    this.resetListing(dir);
    this.request('replace', 0, PAGE_SIZE);
  }

  private activateRow(r: FileRow): void {
    if (r.type === 'dir' && r.hasChildren) this.reload(r.path);
    else if (r.line !== null) post({ type: 'revealLine', line: r.line, endLine: r.line });
  }

  /** Enter/Space activate; arrows move between rows, so a long listing is not a long Tab chain. */
  private rowKey(e: KeyboardEvent, r: FileRow): void {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const li = e.currentTarget as HTMLElement;
      const to = (e.key === 'ArrowDown' ? li.nextElementSibling : li.previousElementSibling) as HTMLElement | null;
      to?.focus();
      return;
    }
    onActivate(() => this.activateRow(r))(e);
  }

  /** The button that opens the view, or the view itself for the open stage. */
  render(stage: StageReport): TemplateResult | typeof nothing {
    if (!stage.imageId) return nothing;
    if (this.stageIndex !== stage.index) {
      return html`<div class="files-open"><vscode-button secondary data-files-open=${stage.index} @click=${() => this.open(stage)}>Files and wasted space</vscode-button></div>`;
    }
    return html`
      <div id="files" aria-label="Files of this stage's image">
        <div class="files-head">
          <h4>Files</h4>
          <span class="spacer"></span>
          <vscode-button secondary @click=${() => this.close()}>Close</vscode-button>
        </div>
        ${this.status === 'loading' ? html`<p class="files-loading" role="status"><vscode-progress-ring class="ring"></vscode-progress-ring>Analysing layer contents… (the engine exports the image once; large images take a while)</p>` : nothing}
        ${this.status === 'error' ? html`<p class="error files-error" role="alert">${this.message}</p>` : nothing}
        ${this.status === 'ready' && this.contents ? this.renderBrowser(this.contents) : nothing}
      </div>
      ${this.status === 'ready' && this.contents ? this.renderWasted(this.contents) : nothing}`;
  }

  private renderBrowser(c: StageContentsView): TemplateResult {
    const layers = browsableLayers(c.layers);
    const w = this.window;
    const next = nextOffset(w);
    const prev = previousPage(w);
    return html`
      <div class="files-controls">
        <label>Layer
          <select class="files-layer" @change=${(e: Event) => { this.layer = Number((e.target as HTMLSelectElement).value); this.reload('/'); }}>
            ${layers.map((l) => html`<option value=${l.index} ?selected=${l.index === this.layer}>${layerOptionLabel(l)}</option>`)}
          </select>
        </label>
        <span class="toggle" role="group" aria-label="View">
          ${(['layer', 'merged'] as const).map((v) => html`<button class="chip" aria-pressed=${this.view === v ? 'true' : 'false'} data-files-view=${v}
            @click=${() => { if (this.view !== v) { this.view = v; this.reload(); } }}>${v === 'layer' ? 'Changes in this layer' : 'Merged up to this layer'}</button>`)}
        </span>
        <span class="toggle" role="group" aria-label="Show only">
          <span class="muted">Show only</span>
          ${FILTERS.map((f) => html`<button class="chip" aria-pressed=${this.filters.has(f) ? 'true' : 'false'} data-files-filter=${f}
            @click=${() => { if (this.filters.has(f)) this.filters.delete(f); else this.filters.add(f); this.reload(); }}>${f}</button>`)}
        </span>
        <label>Sort
          <select class="files-sort" @change=${(e: Event) => { this.sort = (e.target as HTMLSelectElement).value === 'name' ? 'name' : 'size'; this.reload(); }}>
            <option value="size" ?selected=${this.sort === 'size'}>size, largest first</option>
            <option value="name" ?selected=${this.sort === 'name'}>name</option>
          </select>
        </label>
      </div>
      <nav class="crumbs" aria-label="Directory">
        ${breadcrumb(this.dir).map((b, i, all) => html`${i > 1 ? html`<span class="sep">/</span>` : nothing}<button class="crumb" data-files-dir=${b.path}
          aria-current=${i === all.length - 1 ? 'location' : 'false'} @click=${() => this.reload(b.path)}>${b.label}</button>`)}
        <span class="muted files-count">${this.pending?.mode === 'replace' ? 'loading…' : windowText(w)}</span>
      </nav>
      ${this.listError ? html`<p class="error" role="alert">${this.listError}</p>` : nothing}
      ${prev ? html`<vscode-button secondary class="files-prev" ?disabled=${!!this.pending} @click=${() => this.request('prepend', prev.offset, prev.limit)}>Show previous ${prev.limit}</vscode-button>` : nothing}
      <ul class="file-rows" aria-label=${`Entries of ${this.dir}`}>
        ${w.rows.map((r) => this.renderRow(r))}
      </ul>
      ${next !== null ? html`<vscode-button secondary class="files-more" ?disabled=${!!this.pending} @click=${() => this.request('append', next, PAGE_SIZE)}>Load more (${w.total - next} more)</vscode-button>` : nothing}`;
  }

  private renderRow(r: FileRow): TemplateResult {
    const t = fileRowTexts(r);
    const actionable = (r.type === 'dir' && r.hasChildren) || r.line !== null;
    return html`<li class="file-row ${r.change}" data-file-path=${r.path} data-file-line=${r.line ?? ''} data-change=${r.change}
      role=${actionable ? 'button' : 'listitem'} tabindex=${actionable ? '0' : '-1'} aria-label=${t.label}
      @click=${() => this.activateRow(r)} @keydown=${(e: KeyboardEvent) => this.rowKey(e, r)}>
      <span class="file-name" title=${r.path}>${t.name}</span>
      <span class="file-size">${t.size}</span>
      <span class="file-change">${t.change}</span>
      <span class="file-line">${t.line}</span>
    </li>`;
  }

  private renderWasted(c: StageContentsView): TemplateResult {
    return html`
      <div id="wasted" aria-label="Wasted space">
        <h4>Wasted space</h4>
        <dl class="wasted-totals">
          <dt>Efficiency</dt><dd class="wasted-efficiency">${efficiencyText(c.efficiency)}</dd>
          <dt>Wasted</dt><dd class="wasted-bytes">${formatBytes(c.wastedBytes)}</dd>
          <dt>Reclaimable</dt><dd class="wasted-reclaimable">${formatBytes(c.reclaimableBytes)}</dd>
        </dl>
        ${c.topWasted.length
          ? html`<ol class="wasted-rows">${c.topWasted.map((w) => this.renderWastedRow(w))}</ol>`
          : html`<p class="muted">No path is written by more than one layer or removed after it was written.</p>`}
      </div>`;
  }

  private renderWastedRow(w: WastedRow): TemplateResult {
    const { text, lines } = wastedLines(w);
    const reveal = (line: number): void => post({ type: 'revealLine', line, endLine: line });
    const onRowClick = (e: MouseEvent): void => {
      // Line buttons reveal their own line; elsewhere on the row the first line it names.
      if ((e.target as HTMLElement).closest('button')) return;
      if (lines[0] !== undefined) reveal(lines[0]);
    };
    return html`<li class="wasted-row" data-wasted-path=${w.path} @click=${onRowClick}>
      <span class="wasted-path" title=${w.path}>${w.path}</span>
      <span class="wasted-size">${formatBytes(w.reclaimableBytes)} reclaimable of ${formatBytes(w.cumulativeBytes)}</span>
      <span class="wasted-how">${text}</span>
      <span class="wasted-lines">${lines.map((l) => html`<button class="line-link" data-wasted-line=${l} aria-label=${`Reveal line ${l} for ${w.path}`}
        @click=${() => reveal(l)}>line ${l}</button>`)}</span>
    </li>`;
  }
}
