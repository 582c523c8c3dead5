// Compare with HEAD in the panel's comparison section: the per-stage delta table and the
// per-line delta badges of the Dockerfile diff. Text bindings only, like the rest of the panel.
import { html, nothing, type TemplateResult } from 'lit';
import { formatDelta, formatPercent } from '../src/core/diff/numbers';
import { formatBytes } from '../src/core/report';
import type { ComparisonView, DiffLine } from '../src/view/protocol';

const deltaClass = (d: number | null | undefined): string => (d === null || d === undefined || d === 0 ? 'delta' : d < 0 ? 'delta better' : 'delta worse');

export function renderStageDeltas(c: ComparisonView): TemplateResult | typeof nothing {
  if (!c.stageDeltas?.length) return nothing;
  return html`
    <table class="stage-deltas" aria-label="Size per stage">
      <thead><tr><th scope="col">Stage</th><th scope="col">${c.beforeLabel ?? 'Before'}</th><th scope="col">${c.afterLabel ?? 'After'}</th><th scope="col">Change</th><th scope="col"></th></tr></thead>
      <tbody>${c.stageDeltas.map((s) => html`
        <tr data-stage-delta=${s.label} data-delta-bytes=${s.deltaBytes ?? ''}>
          <th scope="row">${s.label}${s.final ? ' (final)' : ''}</th>
          <td>${formatBytes(s.beforeBytes)}</td><td>${formatBytes(s.afterBytes)}</td>
          <td class=${deltaClass(s.deltaBytes)}>${s.deltaBytes === null ? '—' : `${formatDelta(s.deltaBytes)} ${formatPercent(s.beforeBytes, s.deltaBytes)}`.trim()}</td>
          <td class="muted">${s.status === 'same' ? '' : s.status}</td>
        </tr>`)}
      </tbody>
    </table>`;
}

/** The delta badge at the end of a diff line whose instruction changed size. */
export function renderLineDelta(d: DiffLine): TemplateResult | typeof nothing {
  if (d.deltaBytes === undefined || d.deltaBytes === null || d.deltaBytes === 0) return nothing;
  return html`<span class="line-delta ${d.deltaBytes > 0 ? 'worse' : 'better'}" data-line-delta=${d.deltaBytes}>${formatDelta(d.deltaBytes)}</span>`;
}
