// Text and Markdown renderings of a DiffReport: a terminal table and a table a PR comment can
// carry. Markdown cells escape `|` and backticks so Dockerfile text cannot break the table.
import { formatBytes } from '../report';
import { formatDelta, formatPercent } from './numbers';

export { formatDelta, formatPercent };
import type { FileDelta } from './files';
import { notableLines, type DiffReport, type LineDelta, type StageDelta, type StageSide } from './report';

export function sideLabel(s: StageSide | null): string {
  if (!s) return '—';
  return s.name ?? `#${s.index}`;
}

export function stageDeltaLabel(d: StageDelta): string {
  if (d.status === 'renamed') return `${sideLabel(d.before)} → ${sideLabel(d.after)}`;
  return sideLabel(d.after ?? d.before);
}

function sizeOf(s: StageSide | null): string {
  if (!s) return '—';
  return s.sizeBytes === null ? (s.error ? 'failed' : '—') : formatBytes(s.sizeBytes);
}

const STATUS_WORD: Record<StageDelta['status'], string> = { same: '', renamed: 'renamed', added: 'added', removed: 'removed' };

function lineWhere(l: LineDelta): string {
  if (l.after && l.before && l.after.line !== l.before.line) return `line ${l.after.line} (was ${l.before.line})`;
  if (l.after) return `line ${l.after.line}`;
  return `was line ${l.before!.line}`;
}

function lineText(l: LineDelta, max = 70): string {
  const t = (l.after ?? l.before)!.text;
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function formatDiffText(r: DiffReport): string {
  const out: string[] = [];
  out.push(`${r.dockerfile} vs ${r.base.kind === 'git' ? r.base.ref : r.base.ref}`);
  const rows = r.stages.map((s) => ({
    stage: `${stageDeltaLabel(s)}${s.final ? ' *' : ''}`,
    before: sizeOf(s.before), after: sizeOf(s.after),
    delta: s.deltaBytes !== null ? formatDelta(s.deltaBytes) : s.status === 'added' ? 'new' : s.status === 'removed' ? 'gone' : '—',
    pct: formatPercent(s.before?.sizeBytes, s.deltaBytes),
    note: STATUS_WORD[s.status],
  }));
  const head = { stage: 'STAGE', before: 'BEFORE', after: 'AFTER', delta: 'DELTA', pct: '', note: '' };
  const all = [head, ...rows];
  const w = (k: keyof typeof head): number => Math.max(...all.map((x) => x[k].length));
  for (const x of all) {
    out.push([x.stage.padEnd(w('stage')), x.before.padStart(w('before')), x.after.padStart(w('after')), x.delta.padStart(w('delta')), x.pct.padStart(w('pct')), x.note].join('  ').trimEnd());
  }
  for (const s of r.stages) {
    const lines = notableLines(s);
    if (!lines.length) continue;
    out.push('');
    out.push(`${stageDeltaLabel(s)}:`);
    for (const l of lines) out.push(`  ${formatDelta(l.deltaBytes).padStart(10)}  ${l.status.padEnd(7)}  ${lineWhere(l)}: ${lineText(l)}`);
  }
  out.push('');
  const f = r.final;
  out.push(`Final image: ${sizeOf(f.before)} → ${sizeOf(f.after)} (${formatDelta(f.deltaBytes)}${f.before?.sizeBytes ? ` ${formatPercent(f.before.sizeBytes, f.deltaBytes)}` : ''})`);
  if (f.files) {
    const g = (name: string, grp: { top: FileDelta[]; count: number; bytes: number }): void => {
      if (!grp.count) return;
      out.push(`  ${name}: ${grp.count} file${grp.count === 1 ? '' : 's'}, ${formatDelta(grp.bytes)}`);
      for (const x of grp.top) out.push(`    ${formatDelta(x.deltaBytes).padStart(10)}  ${x.path}`);
      if (grp.count > grp.top.length) out.push(`    … ${grp.count - grp.top.length} more`);
    };
    g('added', f.files.added); g('removed', f.files.removed); g('resized', f.files.resized);
    if (!f.files.added.count && !f.files.removed.count && !f.files.resized.count) out.push('  no file added, removed or resized');
  }
  out.push('* marks the final stage. Sizes are unpacked (sum of layer sizes).');
  return out.join('\n');
}

function md(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, 'ˋ').replace(/\r?\n/g, ' ');
}

export function formatDiffMarkdown(r: DiffReport): string {
  const out: string[] = [];
  const f = r.final;
  out.push(`### Stage Lens: image size vs \`${md(r.base.ref)}\``);
  out.push('');
  out.push(`Final image **${sizeOf(f.before)} → ${sizeOf(f.after)}** (${formatDelta(f.deltaBytes)}${f.before?.sizeBytes ? ` ${formatPercent(f.before.sizeBytes, f.deltaBytes)}` : ''})`);
  out.push('');
  out.push('| Stage | Before | After | Δ | |');
  out.push('|---|---:|---:|---:|---|');
  for (const s of r.stages) {
    out.push(`| ${md(stageDeltaLabel(s))}${s.final ? ' (final)' : ''} | ${sizeOf(s.before)} | ${sizeOf(s.after)} | ${s.deltaBytes !== null ? `${formatDelta(s.deltaBytes)} ${formatPercent(s.before?.sizeBytes, s.deltaBytes)}`.trim() : '—'} | ${STATUS_WORD[s.status]} |`);
  }
  const changed = r.stages.flatMap((s) => notableLines(s).map((l) => ({ s, l })));
  if (changed.length) {
    out.push('');
    out.push('| Stage | Line | Instruction | Δ | |');
    out.push('|---|---:|---|---:|---|');
    for (const { s, l } of changed) {
      out.push(`| ${md(stageDeltaLabel(s))} | ${l.after ? l.after.line : `~~${l.before!.line}~~`} | \`${md(lineText(l, 80))}\` | ${formatDelta(l.deltaBytes)} | ${l.status === 'same' ? '' : l.status} |`);
    }
  }
  if (f.files && (f.files.added.count || f.files.removed.count)) {
    out.push('');
    out.push('<details><summary>Files in the final image</summary>');
    out.push('');
    out.push('| Path | Δ | |');
    out.push('|---|---:|---|');
    for (const [kind, grp] of [['added', f.files.added], ['removed', f.files.removed], ['resized', f.files.resized]] as const) {
      for (const x of grp.top) out.push(`| \`${md(x.path)}\` | ${formatDelta(x.deltaBytes)} | ${kind} |`);
      if (grp.count > grp.top.length) out.push(`| … ${grp.count - grp.top.length} more | ${formatDelta(grp.bytes - grp.top.reduce((a, y) => a + y.deltaBytes, 0))} | ${kind} |`);
    }
    out.push('');
    out.push('</details>');
  }
  return out.join('\n');
}
