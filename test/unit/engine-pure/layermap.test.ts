// History → Dockerfile line mapping, with history arrays in the exact forms Docker 20.10's
// BuildKit and classic builder write (captured from real builds, image ids shortened).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../src/core/dockerfile/parse';
import {
  buildStageNames, classicBuildText, classicStepInstruction, historyKeyword, isBuildLabelEntry, lineFromEngineError,
  mapHistoryToLayers, parseClassicStep, parseVertexName, vertexInstruction, withStageNames, type HistoryEntry,
} from '../../../src/core/layermap';

const DOCKERFILE = [
  'ARG BASE=fixture/busybox:latest', //  1
  'FROM ${BASE} AS base', //             2
  'ARG V=1', //                          3
  'ENV X=1 \\', //                       4
  '    Y=2', //                          5
  'WORKDIR /app', //                     6
  'RUN echo hi > /app/a && \\', //       7
  '    echo there >> /app/a', //         8
  'COPY f.txt .', //                     9
  'RUN ["/bin/sh", "-c", "echo exec > /app/e"]', // 10
  'RUN echo $V > /app/v', //            11
  '', //                                12
  'FROM base AS fin', //                13
  'USER 1000', //                       14
  'LABEL a=b', //                       15
  'EXPOSE 80', //                       16
  'CMD ["sh"]', //                      17
  '', //                                18
  'FROM fixture/busybox:latest', //     19
  'COPY --from=base /app/a /a', //      20
  'RUN --mount=type=cache,target=/cache echo x > /cache/x && cp /cache/x /y', // 21
  '',
].join('\n');

const h = (createdBy: string, sizeBytes = 0): HistoryEntry => ({ createdBy, sizeBytes });
const IMPORTED = h('', 1982305);

const BK_BASE = [
  IMPORTED,
  h('ARG V=1'),
  h('ENV X=1 Y=2'),
  h('WORKDIR /app'),
  h('RUN |1 V=7 /bin/sh -c echo hi > /app/a &&     echo there >> /app/a # buildkit', 9),
  h('COPY f.txt . # buildkit', 6),
  h('RUN |1 V=7 /bin/sh -c echo exec > /app/e # buildkit', 5),
  h('RUN |1 V=7 /bin/sh -c echo $V > /app/v # buildkit', 2),
];
const BK_FIN = [...BK_BASE, h('USER 1000'), h('LABEL a=b'), h('EXPOSE map[80/tcp:{}]'), h('CMD ["sh"]')];
const BK_OTHER = [IMPORTED, h('COPY /app/a /a # buildkit', 9), h('RUN /bin/sh -c echo x > /cache/x && cp /cache/x /y # buildkit', 2)];

const CL_BASE_CORE = [
  IMPORTED,
  h('/bin/sh -c #(nop)  ARG V=1'),
  h('/bin/sh -c #(nop)  ENV X=1 Y=2'),
  h('/bin/sh -c #(nop) WORKDIR /app'),
  h('|1 V=7 /bin/sh -c echo hi > /app/a &&     echo there >> /app/a', 9),
  h('/bin/sh -c #(nop) COPY file:99dab1a7a2dd5d9f985450ffe99777fca12ef0bdae5ec5e071c7846d31930e6d in . ', 6),
  h('|1 V=7 /bin/sh -c echo exec > /app/e', 5),
  h('|1 V=7 /bin/sh -c echo $V > /app/v', 2),
];
const labels = (stage: string): HistoryEntry[] => [
  h('/bin/sh -c #(nop)  LABEL com.stagelens.dockerfile=/w/Dockerfile'),
  h('/bin/sh -c #(nop)  LABEL com.stagelens.hash=3d06acf0e9ed'),
  h('/bin/sh -c #(nop)  LABEL com.stagelens.managed=true'),
  h(`/bin/sh -c #(nop)  LABEL com.stagelens.stage=${stage}`),
];
// The classic builder labels only the target; a child built FROM the stage sees no labels.
const CL_BASE = [...CL_BASE_CORE, ...labels('base')];
const CL_FIN = [...CL_BASE_CORE, h('/bin/sh -c #(nop)  USER 1000'), h('/bin/sh -c #(nop)  LABEL a=b'), h('/bin/sh -c #(nop)  EXPOSE 80'), h('/bin/sh -c #(nop)  CMD ["sh"]'), ...labels('fin')];

test('historyKeyword reads both builders\' CreatedBy forms', () => {
  const cases: [string, 'buildkit' | 'classic', string | null][] = [
    ['RUN /bin/sh -c echo hi # buildkit', 'buildkit', 'RUN'],
    ['RUN |1 V=1 /bin/sh -c make # buildkit', 'buildkit', 'RUN'],
    ['COPY app.py . # buildkit', 'buildkit', 'COPY'],
    ['WORKDIR /app', 'buildkit', 'WORKDIR'],
    ['ENV X=1', 'buildkit', 'ENV'],
    ['CMD ["x"]', 'buildkit', 'CMD'],
    ['/bin/sh -c #(nop)  ENV X=1', 'classic', 'ENV'],
    ['/bin/sh -c #(nop) COPY file:abc in /app ', 'classic', 'COPY'],
    ['/bin/bash -o pipefail -c #(nop)  CMD ["x"]', 'classic', 'CMD'],
    ['|1 V=1 /bin/sh -c make', 'classic', 'RUN'],
    ['/bin/sh -c apt-get update', 'classic', 'RUN'],
    ['', 'classic', null],
    ['Imported from -', 'classic', null],
    ['', 'buildkit', null],
  ];
  for (const [c, b, want] of cases) assert.equal(historyKeyword(c, b), want, `${b}: ${c}`);
  assert.ok(isBuildLabelEntry('/bin/sh -c #(nop)  LABEL com.stagelens.stage=fin'));
  assert.ok(!isBuildLabelEntry('/bin/sh -c #(nop)  LABEL a=b'));
});

for (const builder of ['buildkit', 'classic'] as const) {
  const hist = builder === 'buildkit' ? { base: BK_BASE, fin: BK_FIN } : { base: CL_BASE, fin: CL_FIN };

  test(`${builder}: a stage's own layers map to their lines, base-image layers are fromBase`, () => {
    const df = parseDockerfile(DOCKERFILE);
    const timings = new Map([[7, { cached: false, durationMs: 420 }], [9, { cached: true, durationMs: 0 }]]);
    const layers = mapHistoryToLayers({ df, stage: 0, builder, history: hist.base, rootBaseLayers: 1, timings });
    assert.equal(layers.length, hist.base.length);
    assert.deepEqual(layers.map((l) => l.index), hist.base.map((_, i) => i));
    assert.equal(layers[0]!.fromBase, true);
    assert.equal(layers[0]!.line, null);
    const own = layers.filter((l) => !l.fromBase && !l.buildLabel);
    assert.deepEqual(own.map((l) => [l.line, l.endLine]), [[3, 3], [4, 5], [6, 6], [7, 8], [9, 9], [10, 10], [11, 11]]);
    assert.equal(own[3]!.instruction, 'RUN echo hi > /app/a && \\\n    echo there >> /app/a');
    assert.equal(own[3]!.sizeBytes, 9);
    assert.deepEqual([own[3]!.cached, own[3]!.durationMs], [false, 420]);
    assert.deepEqual([own[4]!.cached, own[4]!.durationMs], [true, 0]);
    assert.equal(own[0]!.empty, true, 'ARG leaves an empty history entry');
    assert.equal(own[3]!.empty, false);
    const labelled = layers.filter((l) => l.buildLabel);
    assert.equal(labelled.length, builder === 'classic' ? 4 : 0);
    for (const l of labelled) assert.equal(l.line, null);
  });

  test(`${builder}: FROM <earlier stage> marks the base stage's layers fromBase and keeps where they came from`, () => {
    const df = parseDockerfile(DOCKERFILE);
    const layers = mapHistoryToLayers({ df, stage: 1, builder, history: hist.fin, rootBaseLayers: 1 });
    const inherited = layers.filter((l) => l.fromBase);
    assert.equal(inherited.length, 8, 'busybox layer + 7 entries of stage base');
    assert.ok(inherited.every((l) => l.line === null && l.instruction === null));
    assert.deepEqual(inherited.slice(1).map((l) => l.origin?.line), [3, 4, 6, 7, 9, 10, 11]);
    assert.ok(inherited.slice(1).every((l) => l.origin?.stage === 0));
    const own = layers.filter((l) => !l.fromBase && !l.buildLabel);
    assert.deepEqual(own.map((l) => l.line), [14, 15, 16, 17]);
    assert.ok(own.every((l) => l.empty));
  });

  test(`${builder}: without the base image's history length the mapping still finds the stage's own layers`, () => {
    const df = parseDockerfile(DOCKERFILE);
    const layers = mapHistoryToLayers({ df, stage: 1, builder, history: hist.fin, rootBaseLayers: null });
    assert.deepEqual(layers.filter((l) => !l.fromBase && !l.buildLabel).map((l) => l.line), [14, 15, 16, 17]);
    assert.equal(layers[0]!.fromBase, true);
  });
}

test('COPY --from loses its flag in BuildKit history but still maps; unnamed stage', () => {
  const df = parseDockerfile(DOCKERFILE);
  const layers = mapHistoryToLayers({ df, stage: 2, builder: 'buildkit', history: BK_OTHER, rootBaseLayers: 1 });
  assert.deepEqual(layers.map((l) => [l.fromBase, l.line]), [[true, null], [false, 20], [false, 21]]);
});

test('a multi-layer base image, and a mismatching extra entry (ONBUILD trigger) fall back to keyword alignment', () => {
  const df = parseDockerfile('FROM python:3.12-slim\nENV A=1\nRUN make\nCOPY . /app\n');
  const base = [h('', 70_000_000), h('ENV LANG=C.UTF-8'), h('RUN /bin/sh -c apt-get install -y python3 # buildkit', 50_000_000), h('CMD ["python3"]')];
  const own = [h('ENV A=1'), h('RUN /bin/sh -c make # buildkit', 20_000_000), h('COPY . /app # buildkit', 1000)];
  const strict = mapHistoryToLayers({ df, stage: 0, builder: 'buildkit', history: [...base, ...own], rootBaseLayers: 4 });
  assert.deepEqual(strict.map((l) => l.line), [null, null, null, null, 2, 3, 4]);
  assert.deepEqual(strict.map((l) => l.fromBase), [true, true, true, true, false, false, false]);
  // An ONBUILD trigger of the base image adds an entry the Dockerfile does not show.
  const withTrigger = [...base, h('RUN /bin/sh -c echo onbuild # buildkit', 5), ...own];
  const aligned = mapHistoryToLayers({ df, stage: 0, builder: 'buildkit', history: withTrigger, rootBaseLayers: 4 });
  assert.deepEqual(aligned.map((l) => l.line), [null, null, null, null, null, 2, 3, 4]);
  assert.equal(aligned[4]!.fromBase, false, 'an unexplained entry above the base image is not the base');
  // Unknown base length: stop at the first entry no instruction explains.
  const unknown = mapHistoryToLayers({ df, stage: 0, builder: 'buildkit', history: [...base, ...own], rootBaseLayers: null });
  assert.deepEqual(unknown.map((l) => l.line), [null, null, null, null, 2, 3, 4]);
  assert.deepEqual(unknown.map((l) => l.fromBase), [true, true, true, true, false, false, false]);
});

test('heredoc, continuation and escape directive instructions map to their full line ranges', () => {
  const text = '# escape=`\nARG V=1\nFROM busybox AS b\nRUN <<EOF\necho a\necho b\nEOF\nRUN echo x `\n  && echo y\nWORKDIR C:\\app\n';
  const df = parseDockerfile(text);
  const history = [h('', 100), h('RUN /bin/sh -c echo a\necho b # buildkit', 3), h('RUN /bin/sh -c echo x   && echo y # buildkit', 4), h('WORKDIR C:\\app')];
  const layers = mapHistoryToLayers({ df, stage: 0, builder: 'buildkit', history, rootBaseLayers: 1 });
  assert.deepEqual(layers.map((l) => [l.line, l.endLine]), [[null, null], [4, 7], [8, 9], [10, 10]]);
  assert.equal(layers[1]!.instruction, 'RUN <<EOF\necho a\necho b\nEOF');
});

test('BuildKit vertex names map to instructions: named, generated and platform-prefixed', () => {
  const df = parseDockerfile(DOCKERFILE);
  const names = buildStageNames(df);
  assert.deepEqual(names, ['base', 'fin', 'stagelens-stage-2']);
  assert.deepEqual(parseVertexName('[base 3/6] RUN echo hi'), { stageName: 'base', step: 3, total: 6, text: 'RUN echo hi' });
  assert.deepEqual(parseVertexName('[linux/amd64 base 3/6] RUN echo hi')?.stageName, 'base');
  assert.equal(parseVertexName('[internal] load remote build context'), null);
  const line = (n: string): number | null => vertexInstruction(df, names, n)?.ins.line ?? null;
  assert.equal(line('[base 1/6] FROM docker.io/fixture/busybox:latest'), 2);
  assert.equal(line('[base 2/6] WORKDIR /app'), 6);
  assert.equal(line('[base 3/6] RUN echo hi > /app/a &&     echo there >> /app/a'), 7);
  assert.equal(line('[base 4/6] COPY f.txt .'), 9);
  assert.equal(line('[base 6/6] RUN echo 7 > /app/v'), 11, 'args are expanded in vertex names; the step number decides');
  assert.equal(line('[stagelens-stage-2 3/3] RUN --mount=type=cache,target=/cache echo x > /cache/x && cp /cache/x /y'), 21);
  assert.equal(line('[internal] load metadata for docker.io/fixture/busybox:latest'), null);
  // Engines that number every instruction: the total tells which scheme is in use.
  assert.equal(line('[base 5/9] WORKDIR /app'), 6);
});

test('classic "Step k/M" lines map to instructions of the text that was built', () => {
  const df = parseDockerfile(DOCKERFILE);
  assert.deepEqual(parseClassicStep('Step 6/15 : RUN echo hi'), { step: 6, total: 15, text: 'RUN echo hi' });
  assert.equal(parseClassicStep(' ---> Using cache'), null);
  assert.equal(classicStepInstruction(df, { step: 6, text: 'RUN echo hi > /app/a &&     echo there >> /app/a' })?.line, 7);
  assert.equal(classicStepInstruction(df, { step: 2, text: 'FROM ${BASE} AS base' })?.line, 2);
  assert.equal(classicStepInstruction(df, { step: 15, text: 'LABEL com.stagelens.managed=true' }), null);
});

test('generated stage names and the classic text keep every line number', () => {
  const text = 'FROM a\nRUN x\n\nFROM b AS keep\nRUN y \\\n  z\nFROM c\nRUN w\n';
  const df = parseDockerfile(text);
  const named = withStageNames(df);
  assert.equal(named.split('\n').length, text.split('\n').length);
  assert.deepEqual(parseDockerfile(named).stages.map((s) => [s.name, s.line]), [['stagelens-stage-0', 1], ['keep', 4], ['stagelens-stage-2', 7]]);
  const classic = classicBuildText(df, new Set([1, 2]));
  const cdf = parseDockerfile(classic);
  assert.equal(classic.split('\n').length, text.split('\n').length);
  assert.deepEqual(cdf.stages.map((s) => [s.name, s.line, s.baseImage, s.instructions.length]), [['stagelens-stage-0', 1, 'scratch', 0], ['keep', 4, 'b', 1], ['stagelens-stage-2', 7, 'c', 1]]);
  assert.equal(cdf.stages[1]!.instructions[0]!.endLine, 6);
  // CRLF text keeps its line endings.
  assert.ok(withStageNames(parseDockerfile('FROM a\r\nRUN x\r\n')).includes('FROM a AS stagelens-stage-0\r\nRUN x'));
});

test('engine error messages that name a line', () => {
  assert.equal(lineFromEngineError('failed to create LLB definition: dockerfile parse error line 11: unknown instruction: ECHO'), 11);
  assert.equal(lineFromEngineError('exit code: 3'), null);
});
