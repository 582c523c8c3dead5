import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeLenses, suggestionTitle, type LensInput } from '../../../src/view/lenses';
import { layer, report, stage } from './fixtures';

const TEXT = [
  'FROM python:3.12',                         // 0
  'RUN apt-get update && apt-get install -y build-essential', // 1
  'COPY app.py .',                            // 2
  'CMD ["python", "app.py"]',                 // 3
  '',
].join('\n');

const measured = report([stage({
  index: 0, line: 1, sizeBytes: 950_000_000, baseSizeBytes: 500_000_000, addedBytes: 450_000_000, buildMs: 30_000,
  layers: [
    layer({ index: 0, fromBase: true, sizeBytes: 500_000_000 }),
    layer({ index: 1, line: 2, endLine: 2, sizeBytes: 412_000_000, instruction: 'RUN apt-get update && apt-get install -y build-essential' }),
    layer({ index: 2, line: 3, endLine: 3, sizeBytes: 38_000_000, instruction: 'COPY app.py .' }),
    layer({ index: 3, line: 4, endLine: 4, empty: true, instruction: 'CMD ["python", "app.py"]' }),
  ],
})]);

function input(p: Partial<LensInput>): LensInput {
  return { text: TEXT, analysis: null, findings: [], running: false, thresholdBytes: 10_000_000, staleBehavior: 'mark', suggestionsEnabled: true, ...p };
}

test('before analysis: "Analyze stages" on the first FROM and "Build stage" on each FROM', () => {
  const text = 'FROM a AS one\nRUN x\nFROM b\nRUN y\n';
  const lenses = computeLenses(input({ text }));
  assert.deepEqual(lenses.map((l) => [l.line, l.title]), [[0, '$(play) Analyze stages'], [0, 'Build stage'], [2, 'Build stage']]);
  assert.deepEqual(lenses[2]!.action, { kind: 'buildStage', stageIndex: 1 });
});

test('after analysis: stage summary on FROM and +size on layers at or above the threshold', () => {
  const lenses = computeLenses(input({ analysis: { report: measured, text: TEXT } }));
  const titles = lenses.map((l) => [l.line, l.title]);
  assert.deepEqual(titles, [
    [0, '$(refresh) Re-analyze'],
    [0, 'stage 0 · 950 MB (+450 MB over python:3.12) · 3 layers · 30 s'],
    [1, '+412 MB'],
    [2, '+38 MB'],
  ]);
});

test('the threshold filters small layers', () => {
  const lenses = computeLenses(input({ analysis: { report: measured, text: TEXT }, thresholdBytes: 100_000_000 }));
  assert.deepEqual(lenses.filter((l) => l.title.startsWith('+')).map((l) => l.line), [1]);
});

test('stale (mark): lenses follow an unchanged instruction to its new line and are marked', () => {
  const edited = `# a comment added above\n${TEXT}`;
  const lenses = computeLenses(input({ text: edited, analysis: { report: measured, text: TEXT } }));
  const heavy = lenses.find((l) => l.title.startsWith('+412 MB'));
  assert.ok(heavy);
  assert.equal(heavy.line, 2, 'moved down with its instruction');
  assert.equal(heavy.title, '+412 MB (stale)');
  assert.ok(lenses.some((l) => l.line === 1 && l.title.endsWith('(stale)') && l.title.startsWith('stage 0')));
});

test('stale: a changed instruction loses its measured lens; no lens lands on a different instruction', () => {
  const edited = TEXT.replace('build-essential', 'gcc');
  const lenses = computeLenses(input({ text: edited, analysis: { report: measured, text: TEXT } }));
  assert.equal(lenses.find((l) => l.title.startsWith('+412')), undefined);
  // The COPY layer is unchanged and keeps its lens on its own line.
  assert.deepEqual(lenses.filter((l) => l.title.startsWith('+')).map((l) => [l.line, l.title]), [[2, '+38 MB (stale)']]);
});

test('stale: a changed FROM drops the stage lens and offers "Build stage" again', () => {
  const edited = TEXT.replace('FROM python:3.12', 'FROM python:3.12-slim');
  const lenses = computeLenses(input({ text: edited, analysis: { report: measured, text: TEXT } }));
  assert.ok(!lenses.some((l) => l.title.startsWith('stage 0')));
  assert.ok(!lenses.some((l) => l.title.startsWith('+')), 'layers of a stage that cannot be located are not shown');
  assert.ok(lenses.some((l) => l.title === 'Build stage'));
});

test('stale (hide): no measured lenses at all once the text changed', () => {
  const edited = `${TEXT}# trailing comment\n`;
  const lenses = computeLenses(input({ text: edited, analysis: { report: measured, text: TEXT }, staleBehavior: 'hide' }));
  assert.ok(!lenses.some((l) => l.title.startsWith('+') || l.title.startsWith('stage 0')));
  assert.ok(lenses.some((l) => l.title === '$(refresh) Re-analyze (stale)'));
});

test('CRLF line endings alone do not make a report stale', () => {
  const lenses = computeLenses(input({ text: TEXT.replace(/\n/g, '\r\n'), analysis: { report: measured, text: TEXT } }));
  assert.ok(!lenses.some((l) => l.title.includes('(stale)')));
});

test('while running, the first FROM offers Cancel and every lens line stays where it was', () => {
  const before = computeLenses(input({}));
  const running = computeLenses(input({ running: true }));
  assert.deepEqual(running.map((l) => l.action.kind), ['cancel', 'buildStage']);
  assert.deepEqual([...new Set(running.map((l) => l.line))], [...new Set(before.map((l) => l.line))]);
});

test('suggestion lenses show the estimate or the measured saving', () => {
  const range = { start: { line: 1, character: 0 }, end: { line: 1, character: 10 } };
  assert.equal(suggestionTitle({ id: 'a', range, message: 'Split build tools into a builder stage', estimateBytes: 600_000_000 }), 'Split build tools into a builder stage (−~600 MB estimate)');
  // The measured cost of the layers concerned is not a saving: never labelled "measured".
  assert.equal(suggestionTitle({ id: 'a', range, message: 'Split', estimateBytes: 600_000_000, measuredBytes: 650_000_000, savings: { bytes: 480_000_000, basis: 'estimate' } }), 'Split (−~480 MB estimate)');
  assert.equal(suggestionTitle({ id: 'a', range, message: 'Split', measuredBytes: 650_000_000, savings: { bytes: 501_000_000, basis: 'measured' } }), 'Split (−501 MB measured)');
  assert.equal(suggestionTitle({ id: 'a', range, message: 'Split', measuredBytes: 650_000_000, savings: null }), 'Split');
  assert.equal(suggestionTitle({ id: 'a', range, message: 'Use a non-root user' }), 'Use a non-root user');
  const lenses = computeLenses(input({ findings: [{ id: 'f1', range, message: 'Split', estimateBytes: 1_000_000 }] }));
  assert.deepEqual(lenses.find((l) => l.action.kind === 'suggestion'), { line: 1, title: 'Split (−~1 MB estimate)', action: { kind: 'suggestion', findingId: 'f1' } });
  assert.ok(!computeLenses(input({ findings: [{ id: 'h', range, message: 'Style', severity: 'hint' }] })).some((l) => l.action.kind === 'suggestion'), 'hints get no lens');
  assert.ok(!computeLenses(input({ suggestionsEnabled: false, findings: [{ id: 'f1', range, message: 'Split' }] })).some((l) => l.action.kind === 'suggestion'));
});

test('findings that share one fix get a single lens titled by the fix, with the largest estimate', () => {
  const whole = { start: { line: 0, character: 0 }, end: { line: 4, character: 0 } };
  const split = { title: 'Split into a builder and a slim runtime stage', edits: [{ range: whole, newText: 'FROM a AS builder\n' }] };
  const at = (line: number) => ({ start: { line, character: 0 }, end: { line, character: 5 } });
  const lenses = computeLenses(input({ findings: [
    { id: 'fat-base@0', range: at(0), message: 'Full base', estimateBytes: 880_000_000, fix: split, severity: 'warning' },
    { id: 'tools@1', range: at(1), message: 'Build tools', estimateBytes: 250_000_000, fix: split, severity: 'warning' },
    { id: 'user@3', range: at(3), message: 'Runs as root', fix: { title: 'Add USER', edits: [] }, severity: 'warning' },
  ] }));
  const sugg = lenses.filter((l) => l.action.kind === 'suggestion');
  assert.deepEqual(sugg.map((l) => [l.line, l.title]), [[0, 'Split into a builder and a slim runtime stage (−~880 MB estimate)'], [3, 'Runs as root']]);
});

test('a suggestion lens tooltip says where its saving comes from (the shown saving of a shared fix)', () => {
  const whole = { start: { line: 0, character: 0 }, end: { line: 4, character: 0 } };
  const split = { title: 'Split', edits: [{ range: whole, newText: 'FROM a AS builder\n' }] };
  const at = (line: number) => ({ start: { line, character: 0 }, end: { line, character: 5 } });
  const lenses = computeLenses(input({ findings: [
    { id: 'fat-base@0', range: at(0), message: 'Full base', fix: split, severity: 'warning', savings: { bytes: 400_000_000, basis: 'estimate', how: 'small one' } },
    { id: 'tools@1', range: at(1), message: 'Build tools', fix: split, severity: 'warning', savings: { bytes: 480_000_000, basis: 'estimate', how: 'on python:3.12-slim (148 MB per the engine)' } },
    { id: 'user@3', range: at(3), message: 'Runs as root', fix: { title: 'Add USER', edits: [] }, severity: 'warning', savings: null },
  ] }));
  const sugg = lenses.filter((l) => l.action.kind === 'suggestion');
  assert.deepEqual(sugg.map((l) => [l.title, l.tooltip]), [['Split (−~480 MB estimate)', 'on python:3.12-slim (148 MB per the engine)'], ['Runs as root', undefined]]);
});
