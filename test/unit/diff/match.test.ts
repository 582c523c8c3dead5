// Pure matching and delta logic of the compare feature, on hand-made reports (no engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../src/core/dockerfile/parse';
import { diffAnalyses, diffFiles, formatDiffMarkdown, formatDiffText, matchInstructions, matchStages, notableLines } from '../../../src/core/diff';
import type { AnalysisReport, LayerReport, StageReport } from '../../../src/core/report';

/** A report for `text` where every own instruction line gets `sizes[line]` bytes and base layers `base` bytes. */
function fakeReport(text: string, sizes: Record<number, number>, base = 1000): AnalysisReport {
  const df = parseDockerfile(text);
  const stages: StageReport[] = df.stages.map((s) => {
    const layers: LayerReport[] = [{ index: 0, createdBy: 'base', sizeBytes: base, empty: false, fromBase: true, line: null, endLine: null, instruction: null, cached: null, durationMs: null }];
    for (const ins of s.instructions) {
      const size = sizes[ins.line] ?? 0;
      layers.push({ index: layers.length, createdBy: ins.text, sizeBytes: size, empty: size === 0, fromBase: false, line: ins.line, endLine: ins.endLine, instruction: ins.text, cached: null, durationMs: null });
    }
    const total = layers.reduce((a, l) => a + l.sizeBytes, 0);
    return { index: s.index, name: s.name, line: s.line, baseImage: s.baseImage, baseStage: s.baseStage, imageId: `sha256:${s.index}`, sizeBytes: total, baseSizeBytes: base, addedBytes: total - base, buildMs: 1, layers, error: null };
  });
  stages[stages.length - 1]!.final = true;
  return { schemaVersion: 1, dockerfile: '/x/Dockerfile', context: '/x', engine: { endpoint: 'unix:///e', version: '20.10', apiVersion: '1.41', builder: 'buildkit' }, startedAt: '', durationMs: 1, stages };
}

const meta = { dockerfile: '/x/Dockerfile', base: { kind: 'git' as const, ref: 'HEAD' } };

test('a line inserted above keeps the lines below as the same instructions (moved, not added)', () => {
  const before = 'FROM b AS app\nRUN one\nRUN two\n';
  const after = 'FROM b AS app\nENV X=1\nRUN one\nRUN two\n';
  const pairs = matchInstructions(parseDockerfile(before).stages[0]!, parseDockerfile(after).stages[0]!);
  assert.deepEqual(pairs.map((p) => [p.status, p.before?.line ?? null, p.after?.line ?? null]), [
    ['same', 1, 1], ['added', null, 2], ['moved', 2, 3], ['moved', 3, 4],
  ]);
});

test('continuation and whitespace changes are the same instruction; an edited command is "changed"', () => {
  const before = 'FROM b\nRUN apt-get update &&   apt-get install -y gcc\nCOPY a /a\n';
  const after = 'FROM b\nRUN apt-get update && \\\n    apt-get install -y gcc\nCOPY a /b\n';
  const pairs = matchInstructions(parseDockerfile(before).stages[0]!, parseDockerfile(after).stages[0]!);
  assert.deepEqual(pairs.map((p) => p.status), ['same', 'same', 'changed']);
  assert.equal(pairs[2]!.after!.line, 4);
});

test('reordered instructions pair as moved; a removed one stays removed', () => {
  const before = 'FROM b\nRUN a\nRUN b\nRUN c\n';
  const after = 'FROM b\nRUN c\nRUN a\n';
  const pairs = matchInstructions(parseDockerfile(before).stages[0]!, parseDockerfile(after).stages[0]!);
  const byText = Object.fromEntries(pairs.slice(1).map((p) => [(p.after ?? p.before)!.args, p.status]));
  assert.deepEqual(byText, { a: 'moved', b: 'removed', c: 'moved' });
});

test('stages: matched by name, then by position; a renamed stage is reported as renamed', () => {
  const before = parseDockerfile('FROM x AS build\nRUN a\nFROM y AS test\nFROM z AS app\n');
  const after = parseDockerfile('FROM x AS builder\nRUN a\nFROM z AS app\nFROM w AS lint\n');
  const pairs = matchStages(before, after);
  const view = pairs.map((p) => [p.before?.name ?? null, p.after?.name ?? null, p.matchedBy, p.renamed]);
  assert.deepEqual(view, [
    ['build', 'builder', 'position', true],
    ['test', null, null, false],
    ['app', 'app', 'name', false],
    [null, 'lint', null, false],
  ]);
});

test('a stage whose old name lives on elsewhere is not called a rename of the stage now at its position', () => {
  const before = parseDockerfile('FROM x AS deps\nFROM y AS app\n');
  const after = parseDockerfile('FROM q AS tools\nFROM x AS deps\nFROM y AS app\n');
  const pairs = matchStages(before, after);
  assert.deepEqual(pairs.map((p) => [p.before?.name ?? null, p.after?.name ?? null, p.matchedBy]), [
    [null, 'tools', null], ['deps', 'deps', 'name'], ['app', 'app', 'name'],
  ]);
});

test('per-stage and per-line deltas come from the two reports, on the new file\'s lines', () => {
  const before = 'FROM b AS deps\nRUN big\nFROM b AS app\nRUN small\n';
  const after = 'FROM b AS deps\n# a comment\nRUN big\nRUN extra\nFROM b AS app\nRUN small\n';
  const d = diffAnalyses(
    { text: before, report: fakeReport(before, { 2: 5_000_000, 4: 100 }) },
    { text: after, report: fakeReport(after, { 3: 5_000_000, 4: 48_000_000, 6: 100 }) }, meta);
  const deps = d.stages[0]!;
  assert.equal(deps.status, 'same');
  assert.equal(deps.deltaBytes, 48_000_000);
  assert.equal(deps.final, false);
  assert.deepEqual(notableLines(deps).map((l) => [l.status, l.after?.line, l.deltaBytes]), [['added', 4, 48_000_000]]);
  const big = deps.lines.find((l) => l.after?.line === 3)!;
  assert.equal(big.status, 'moved');
  assert.equal(big.before!.line, 2);
  assert.equal(big.deltaBytes, 0);
  assert.equal(d.stages[1]!.deltaBytes, 0);
  assert.equal(d.stages[1]!.final, true);
  assert.equal(d.final.deltaBytes, 0);
  const text = formatDiffText(d);
  assert.match(text, /^deps\s+5 MB\s+53 MB\s+\+48 MB\s+\+960%/m);
  assert.match(text, /\+48 MB\s+added\s+line 4: RUN extra/);
  const mdText = formatDiffMarkdown(d);
  assert.match(mdText, /\| deps \| 4 \| `RUN extra` \| \+48 MB \| added \|/);
});

test('a base image change lands on the FROM line; an added stage counts all its bytes', () => {
  const before = 'FROM b\nRUN x\n';
  const after = 'FROM c\nRUN x\nFROM c AS extra\nRUN y\n';
  const d = diffAnalyses(
    { text: before, report: fakeReport(before, { 2: 10 }, 1000) },
    { text: after, report: fakeReport(after, { 2: 10, 4: 7 }, 600) }, meta);
  assert.deepEqual(d.stages.map((s) => s.status), ['same', 'added']);
  const from = d.stages[0]!.lines[0]!;
  assert.deepEqual([from.status, from.keyword, from.deltaBytes, from.after!.line], ['changed', 'FROM', -400, 1]);
  assert.equal(d.stages[1]!.deltaBytes, null);
  assert.deepEqual(d.stages[1]!.lines.map((l) => [l.status, l.deltaBytes]), [['added', 600], ['added', 7]]);
  // The final stage moved from the old single stage to the new `extra`.
  assert.equal(d.final.before!.index, 0);
  assert.equal(d.final.after!.name, 'extra');
  assert.equal(d.final.deltaBytes, 607 - 1010);
});

test('markdown escapes pipes and backticks from the Dockerfile', () => {
  const before = 'FROM b\nRUN a\n';
  const after = 'FROM b\nRUN echo "x|y" `z`\n';
  const d = diffAnalyses({ text: before, report: fakeReport(before, { 2: 1 }) }, { text: after, report: fakeReport(after, { 2: 5 }) }, meta);
  const row = formatDiffMarkdown(d).split('\n').find((l) => l.includes('echo'))!;
  assert.ok(row.includes('x\\|y'), row);
  assert.equal(row.split(/(?<!\\)\|/).length, 7, row);
  assert.ok(!/`z`/.test(row));
});

test('file diff: added, removed and resized paths, biggest first, the rest counted', () => {
  const before = new Map([['/a', 10], ['/b', 20], ['/c', 5], ['/gone', 300]]);
  const after = new Map([['/a', 10], ['/b', 25], ['/new1', 1000], ['/new2', 50], ['/new3', 70]]);
  const f = diffFiles(before, after, 2);
  assert.deepEqual(f.added.top.map((x) => x.path), ['/new1', '/new3']);
  assert.equal(f.added.count, 3);
  assert.equal(f.added.bytes, 1120);
  assert.deepEqual(f.removed.top.map((x) => [x.path, x.deltaBytes]), [['/gone', -300], ['/c', -5]]);
  assert.deepEqual(f.resized.top.map((x) => [x.path, x.deltaBytes]), [['/b', 5]]);
});
