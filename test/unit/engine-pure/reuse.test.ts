// Incremental re-analysis: which stages of an edited Dockerfile are unchanged (by content, not
// line numbers), where their kept measurements move to, and the stage scheduler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDockerfile } from '../../../src/core/dockerfile/parse';
import type { StageReport } from '../../../src/core/report';
import { buildSchedule, runScheduled } from '../../../src/engine/analyze';
import { contextFingerprint, instructionLineMap, relocateStage, reusableStages, sourceMayInclude, stageInputKeys } from '../../../src/engine/reuse';

const FOUR = [
  'FROM busybox AS base',
  'RUN echo base > /base',
  'FROM base AS deps',
  'RUN echo deps > /deps',
  'FROM busybox AS tools',
  'RUN echo tools > /tools',
  'FROM deps AS final',
  'COPY --from=tools /tools /tools',
  'RUN echo final > /final',
  '',
].join('\n');

const keys = (text: string, buildArgs: Record<string, string> = {}, contextKey: string | null = null): string[] =>
  stageInputKeys(parseDockerfile(text, buildArgs), { buildArgs, contextKey, dockerfileInContext: null });

const changed = (a: string[], b: string[]): number[] => b.map((k, i) => (a[i] === k ? -1 : i)).filter((i) => i >= 0);

test('an edit in the last stage changes only the last stage', () => {
  const before = keys(FOUR);
  assert.equal(new Set(before).size, 4, 'every stage has its own key');
  assert.deepEqual(changed(before, keys(FOUR.replace('echo final', 'echo final2'))), [3]);
});

test('an edit in a stage changes it and the stages based on it or copying from it, not the others', () => {
  const before = keys(FOUR);
  assert.deepEqual(changed(before, keys(FOUR.replace('echo base', 'echo base2'))), [0, 1, 3]);
  assert.deepEqual(changed(before, keys(FOUR.replace('echo tools', 'echo tools2'))), [2, 3]);
});

test('lines inserted above a stage, comments and trailing blanks do not change its key', () => {
  const before = keys(FOUR);
  const moved = FOUR.replace('RUN echo base > /base', 'RUN echo base > /base\n# a comment\n\nRUN echo more').replace('RUN echo tools > /tools', 'RUN echo tools > /tools   ');
  const after = keys(moved);
  assert.deepEqual(changed(before, after), [0, 1, 3], 'the edited stage and its dependants change; tools (moved down 3 lines) keeps its key');
});

test('build args and global ARGs change every stage; a new base image changes its chain', () => {
  const before = keys(FOUR);
  assert.deepEqual(changed(before, keys(FOUR, { X: '1' })), [0, 1, 2, 3]);
  assert.deepEqual(changed(before, keys(`ARG V=1\n${FOUR}`)), [0, 1, 2, 3]);
  assert.deepEqual(changed(before, keys(FOUR.replace('FROM busybox AS tools', 'FROM busybox:1.36 AS tools'))), [2, 3]);
});

test('the context fingerprint only reaches stages that read the context', () => {
  const text = 'FROM busybox AS a\nRUN true\nFROM busybox AS b\nCOPY app.txt /app\nFROM busybox AS c\nCOPY --from=a /etc/hostname /x\n';
  assert.deepEqual(changed(keys(text, {}, 'ctx1'), keys(text, {}, 'ctx2')), [1]);
  const df = parseDockerfile('FROM busybox\nCOPY src/ /src\nFROM busybox\nCOPY . /all\n');
  const k = (t: string): string[] => stageInputKeys({ ...df, text: t }, { buildArgs: {}, contextKey: 'c', dockerfileInContext: 'Dockerfile' });
  assert.deepEqual(changed(k('one'), k('two')), [1], 'only `COPY .` takes in the Dockerfile text');
  assert.ok(sourceMayInclude('./', 'Dockerfile') && sourceMayInclude('*.txt', 'Dockerfile') && sourceMayInclude('docker', 'docker/Dockerfile'));
  assert.ok(!sourceMayInclude('src/', 'Dockerfile') && !sourceMayInclude('dock', 'docker/Dockerfile'));
});

test('a RUN bind mount reads the context unless it names another stage; a mount without a type is a bind mount', () => {
  const text = [
    'FROM busybox AS a', 'RUN --mount=type=bind,source=go.mod,target=/m true',
    'FROM busybox AS b', 'RUN --mount=target=/src make',
    'FROM busybox AS c', 'RUN --mount=type=cache,target=/root/.cache true',
    'FROM busybox AS d', 'RUN --mount=type=bind,from=c,target=/c true',
    '',
  ].join('\n');
  assert.deepEqual(changed(keys(text, {}, 'ctx1'), keys(text, {}, 'ctx2')), [0, 1]);
});

test('contextFingerprint sees a changed file and ignores .dockerignore exclusions and the Dockerfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reuse-'));
  writeFileSync(join(dir, 'a.txt'), 'a');
  writeFileSync(join(dir, 'skip.log'), 'x');
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox');
  writeFileSync(join(dir, '.dockerignore'), '*.log\n');
  const first = contextFingerprint(dir, 'Dockerfile');
  writeFileSync(join(dir, 'skip.log'), 'changed');
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox:1');
  assert.equal(contextFingerprint(dir, 'Dockerfile'), first);
  writeFileSync(join(dir, 'a.txt'), 'b');
  utimesSync(join(dir, 'a.txt'), new Date(5000), new Date(5000));
  assert.notEqual(contextFingerprint(dir, 'Dockerfile'), first);
});

function stageReport(p: Partial<StageReport>): StageReport {
  return { index: 0, name: null, line: 1, endLine: 2, baseImage: 'busybox', baseStage: null, imageId: 'sha256:x', tag: 't', sizeBytes: 10, baseSizeBytes: 5, addedBytes: 5, buildMs: 7, layers: [], error: null, ...p };
}

test('reusableStages takes only stages measured without error, by key', () => {
  const prev = { stages: [
    stageReport({ index: 0, inputKey: 'k0' }),
    stageReport({ index: 1, inputKey: 'k1', error: { message: 'boom', line: 3 }, imageId: null, sizeBytes: null }),
    stageReport({ index: 2 }),
  ] };
  const m = reusableStages(['k0', 'k1', 'k2', 'k0'], prev);
  assert.deepEqual([...m.keys()], [0, 3]);
  assert.equal(m.get(3)!.index, 0);
});

test('relocateStage moves the stage, its layers and the origin lines of its base stage by instruction', () => {
  const before = 'FROM busybox AS base\nRUN echo 1\nFROM base AS next\nRUN echo 2\n';
  const after = 'FROM busybox AS base\n# new\n# lines\nRUN echo 1\nFROM base AS next\n\nRUN echo 2\n';
  const pd = parseDockerfile(before);
  const df = parseDockerfile(after);
  assert.deepEqual(changed(keys(before), keys(after)), [], 'comments and blank lines change no key');
  const prev = stageReport({
    index: 1, name: 'next', line: 3, endLine: 4, baseStage: 0,
    layers: [
      { index: 0, createdBy: 'x', sizeBytes: 1, empty: false, fromBase: true, line: null, endLine: null, instruction: null, cached: null, durationMs: null, origin: { stage: 0, line: 2, endLine: 2 } },
      { index: 1, createdBy: 'y', sizeBytes: 2, empty: false, fromBase: false, line: 4, endLine: 4, instruction: 'RUN echo 2', cached: true, durationMs: 3 },
    ],
  });
  const pairs = new Map([[0, 0], [1, 1]]);
  const r = relocateStage(prev, df.stages[1]!, pairs, instructionLineMap(pd, df, pairs));
  assert.equal(r.reused, true);
  assert.equal(r.line, 5);
  assert.equal(r.endLine, 7);
  assert.deepEqual(r.layers[0]!.origin, { stage: 0, line: 4, endLine: 4 }, 'the base stage RUN moved from line 2 to 4');
  assert.equal(r.layers[1]!.line, 7, 'its own RUN moved from line 4 to 7');
  assert.equal(r.sizeBytes, 10);
  assert.equal(r.buildMs, 7);
  const noText = relocateStage(prev, df.stages[1]!, pairs, new Map());
  assert.equal(noText.layers[1]!.line, 6, 'without the previous text, lines move with the FROM line');
});

test('runScheduled starts ready items in order, at most `limit` at once, after their deps', async () => {
  const log: string[] = [];
  let running = 0;
  let peak = 0;
  const deps = [[], [0], [], [1, 2]];
  await runScheduled(deps, () => 2, async (i) => {
    running++; peak = Math.max(peak, running); log.push(`start ${i}`);
    await new Promise((r) => setTimeout(r, i === 0 ? 30 : 10));
    log.push(`end ${i}`); running--;
  });
  assert.equal(peak, 2);
  assert.deepEqual(log.slice(0, 2), ['start 0', 'start 2']);
  assert.ok(log.indexOf('start 1') > log.indexOf('end 0'));
  assert.ok(log.indexOf('start 3') > log.indexOf('end 1') && log.indexOf('start 3') > log.indexOf('end 2'));
});

// Positions = stage indexes in these tests (every stage selected).
const all = (text: string): number[] => parseDockerfile(text).stages.map((s) => s.index);

test('buildSchedule: with BuildKit the last stage builds first, the stages it needs after it, from its cache', () => {
  const df = parseDockerfile(FOUR);
  assert.deepEqual(buildSchedule(df, all(FOUR), new Set(), true).deps, [[3], [3], [3], []]);
  // Reused stages need no build; the stages left still wait for the sink.
  assert.deepEqual(buildSchedule(df, all(FOUR), new Set([0, 1]), true).deps, [[], [], [3], []]);
  // Only the edited last stage left: nothing waits.
  assert.deepEqual(buildSchedule(df, all(FOUR), new Set([0, 1, 2]), true).deps, [[], [], [], []]);
  assert.deepEqual([...buildSchedule(df, all(FOUR), new Set([0]), true).fromCache], [1, 2], 'the stages built from the sink\'s cache');
  assert.deepEqual([...buildSchedule(df, all(FOUR), new Set(), false).fromCache], [], 'none without BuildKit');
});

test('buildSchedule: two sinks build side by side unless they read different parts of the context', () => {
  const same = 'FROM busybox AS base\nCOPY . /app\nFROM base AS test\nRUN make test\nFROM base AS prod\nRUN make\n';
  assert.deepEqual(buildSchedule(parseDockerfile(same), all(same), new Set(), true).deps, [[1, 2], [], []]);
  const differ = 'FROM busybox AS a\nCOPY src/ /src\nFROM busybox AS b\nCOPY docs/ /docs\nFROM busybox AS c\nRUN true\n';
  assert.deepEqual(buildSchedule(parseDockerfile(differ), all(differ), new Set(), true).deps, [[], [0], []], 'b after a; c reads no context');
});

test('buildSchedule: a stage needed only through a reused stage is not built as a sink beside the stage that needs it', () => {
  const chain = 'FROM busybox AS a\nRUN true\nFROM a AS b\nRUN true\nFROM b AS c\nRUN true\n';
  // b reused (its image is there) but a's image was removed: a is needed by c through b.
  assert.deepEqual(buildSchedule(parseDockerfile(chain), all(chain), new Set([1]), true).deps, [[2], [], []]);
});

test('buildSchedule: stages sharing a cache mount, and classic builds, go in dependency and file order', () => {
  const shared = [
    'FROM busybox AS w', 'RUN --mount=type=cache,target=/c echo > /c/x',
    'FROM busybox AS r', 'RUN --mount=type=cache,target=/c cat /c/x',
    'FROM busybox AS f', 'COPY --from=w /etc/hostname /w', 'COPY --from=r /etc/hostname /r', '',
  ].join('\n');
  assert.deepEqual(buildSchedule(parseDockerfile(shared), all(shared), new Set(), true).deps, [[], [0], [0, 1]]);
  assert.deepEqual(buildSchedule(parseDockerfile(FOUR), all(FOUR), new Set(), false).deps, [[], [0], [], [1, 2]]);
});

test('runScheduled: an item `early` lets go starts before its deps are done, when told', async () => {
  const log: string[] = [];
  let ready = false;
  let poke = (): void => {};
  const deps = [[], [0]];
  await runScheduled(deps, () => 2, async (i) => {
    log.push(`start ${i}`);
    if (i === 0) { await new Promise((r) => setTimeout(r, 10)); ready = true; poke(); await new Promise((r) => setTimeout(r, 30)); }
    log.push(`end ${i}`);
  }, { ready: (i) => i === 1 && ready, watch: (changed) => { poke = changed; } });
  assert.deepEqual(log, ['start 0', 'start 1', 'end 1', 'end 0']);
});
