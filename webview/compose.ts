// The panel's compose view: every service's final image and its stages side by side (the seed's
// single vs multi vs advanced). Plain Lit templates into the panel's light DOM; every string from
// the compose file or the engine goes through text bindings. Bar widths use data-pct (CSSOM).
import { html, nothing, type TemplateResult } from 'lit';
import { formatBytes, formatDuration } from '../src/core/report';
import type { ComposeServiceView, ComposeView, ComposeWebviewMessage } from '../src/view/protocol';

function pct(fraction: number): string {
  return Number.isFinite(fraction) ? Math.min(100, Math.max(0, fraction * 100)).toFixed(2) : '0';
}

export function renderCompose(v: ComposeView, post: (m: ComposeWebviewMessage) => void): TemplateResult {
  const sizes = v.services.map((s) => s.finalBytes).filter((x): x is number => x !== null);
  const maxFinal = Math.max(1, ...sizes);
  const smallest = sizes.length ? Math.min(...sizes) : null;
  const maxStage = Math.max(1, ...v.services.flatMap((s) => s.stages.map((x) => x.sizeBytes ?? 0)));
  const showPull = v.services.some((s) => s.pullBytes !== null);
  return html`
    <header class="toolbar">
      <h1>Compose: ${v.fileName}</h1>
      <span class="spacer"></span>
      <vscode-button ?disabled=${v.running} @click=${() => post({ type: 'compose/analyze', service: null })}>${v.analysedAt ? 'Re-analyze all' : 'Analyze all services'}</vscode-button>
      <vscode-button secondary @click=${() => post({ type: 'compose/close' })}>Back to Dockerfile</vscode-button>
    </header>
    ${v.files.length > 1 ? html`<p class="muted">Merged: ${v.files.join(' + ')}</p>` : nothing}
    ${v.running ? html`<p class="notice" role="status"><vscode-progress-ring class="ring"></vscode-progress-ring>${v.progress ?? 'Analyzing…'}</p>` : nothing}
    ${v.services.length === 0 ? html`<p class="empty">${v.running ? '' : 'Analyze the compose project to build every service\'s image stage by stage and compare them here.'}</p>` : html`
      <section id="compose-summary" aria-label="Final images">
        <h2>Final images</h2>
        <table class="compose-table">
          <thead><tr><th scope="col">Service</th><th scope="col">Dockerfile</th><th scope="col">Target</th><th scope="col">Final image</th>${showPull ? html`<th scope="col">Pull</th>` : nothing}<th scope="col">vs smallest</th></tr></thead>
          <tbody>${v.services.map((s) => html`
            <tr data-compose-row=${s.service}>
              <th scope="row">${s.service}</th><td>${s.dockerfile}</td><td>${s.target ?? '—'}</td>
              <td class="compose-final">${s.error ? 'failed' : formatBytes(s.finalBytes)}</td>
              ${showPull ? html`<td>${formatBytes(s.pullBytes)}</td>` : nothing}
              <td>${s.finalBytes !== null && smallest !== null ? (s.finalBytes === smallest ? 'smallest' : `×${(s.finalBytes / Math.max(1, smallest)).toFixed(1)}`) : '—'}</td>
            </tr>`)}
          </tbody>
        </table>
      </section>
      <section id="compose-services" class="compose-grid" data-running=${v.running ? 'true' : 'false'} aria-label="Services side by side">
        ${v.services.map((s) => renderService(s, maxFinal, maxStage, v.running, post))}
      </section>
      <p class="totals">Sizes are unpacked image sizes (what the image takes on disk)${showPull ? '; pull is the compressed size a pull downloads' : ''}.${v.analysedAt ? ` Analysed ${new Date(v.analysedAt).toLocaleTimeString()}.` : ''}</p>`}
  `;
}

function renderService(s: ComposeServiceView, maxFinal: number, maxStage: number, running: boolean, post: (m: ComposeWebviewMessage) => void): TemplateResult {
  return html`
    <article class="compose-card" data-service=${s.service} data-final-bytes=${s.finalBytes ?? ''} aria-label=${`Service ${s.service}`}>
      <h3>${s.service}</h3>
      <p class="muted">${s.dockerfile}${s.target ? ` · target ${s.target}` : ''}${s.argCount ? ` · ${s.argCount} build ${s.argCount === 1 ? 'arg' : 'args'}` : ''}</p>
      ${s.error ? html`<p class="error">${s.error}</p>` : html`
        <p class="compose-size"><strong>${formatBytes(s.finalBytes)}</strong>${s.pullBytes !== null ? html` <span class="muted">· pull ${formatBytes(s.pullBytes)}</span>` : nothing}
          <span class="muted">· ${s.finalLabel ?? ''} · ${formatDuration(s.buildMs)}</span></p>
        <span class="bar compose-bar" aria-hidden="true"><span class="bar-added" data-pct=${pct((s.finalBytes ?? 0) / maxFinal)}></span></span>`}
      ${s.sharedWith.length ? html`<p class="muted">Same build as ${s.sharedWith.join(', ')} (analysed once)</p>` : nothing}
      <ol class="compose-stages">
        ${s.stages.map((st) => html`
          <li class=${st.final ? 'final' : ''} data-compose-stage=${st.label}>
            <span class="chart-label">${st.label}${st.final ? html` <vscode-badge>final</vscode-badge>` : nothing}</span>
            <span class="bar" aria-hidden="true"><span class="bar-added" data-pct=${pct((st.sizeBytes ?? 0) / maxStage)}></span></span>
            <span class="chart-size">${st.failed ? 'failed' : formatBytes(st.sizeBytes)}</span>
          </li>`)}
      </ol>
      <div class="compose-actions">
        <vscode-button secondary ?disabled=${running} @click=${() => post({ type: 'compose/analyze', service: s.service })}>Analyze</vscode-button>
        ${s.dockerfile !== 'dockerfile_inline' ? html`<vscode-button secondary @click=${() => post({ type: 'compose/openService', service: s.service })}>Open Dockerfile</vscode-button>` : nothing}
      </div>
    </article>`;
}
