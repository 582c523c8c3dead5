import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, stageClosure, baseChain, cacheOrder } from '../../src/core/dockerfile/parse';

test('stages, names, base stages and line ranges', () => {
  const df = parseDockerfile('ARG V=3.12\nFROM python:${V} AS Builder\nRUN echo a \\\n  b\nFROM builder\nCOPY --from=0 /x /y\n');
  assert.equal(df.stages.length, 2);
  assert.equal(df.stages[0]!.name, 'builder');
  assert.equal(df.stages[0]!.resolvedBaseImage, 'python:3.12');
  assert.equal(df.stages[1]!.baseStage, 0);
  assert.deepEqual(df.stages[1]!.dependsOn, [0]);
  const run = df.stages[0]!.instructions[0]!;
  assert.equal(run.line, 3);
  assert.equal(run.endLine, 4);
  assert.equal(run.args, 'echo a b');
  assert.equal(df.globalArgs.length, 1);
});

test('heredocs and escape directive keep the full range', () => {
  const df = parseDockerfile('# escape=`\nFROM busybox\nRUN <<EOF\necho hi\nEOF\nRUN echo a `\n  b\n');
  assert.equal(df.escapeChar, '`');
  const [h, c] = df.stages[0]!.instructions;
  assert.deepEqual([h!.line, h!.endLine, h!.heredocs], [3, 5, ['EOF']]);
  assert.deepEqual([c!.line, c!.endLine, c!.args], [6, 7, 'echo a b']);
});

test('flags are split off and mount sources count as dependencies', () => {
  const df = parseDockerfile('FROM a AS x\nFROM b\nRUN --mount=type=bind,from=x,target=/s --network=none make\n');
  const run = df.stages[1]!.instructions[0]!;
  assert.equal(run.args, 'make');
  assert.deepEqual(run.flags.map((f) => f.name), ['mount', 'network']);
  assert.deepEqual(df.stages[1]!.dependsOn, [0]);
  assert.deepEqual(stageClosure(df, 1), [0, 1]);
});

test('never throws and reports problems', () => {
  for (const t of ['', '\0\0\0', 'RUN x', 'FROM a\nCOPY --from=later /a /b\nFROM b AS later', '\ufeffFROM a\r\nRUN b\r\n']) {
    const df = parseDockerfile(t);
    assert.ok(Array.isArray(df.problems));
  }
  assert.ok(parseDockerfile('RUN x').problems.length >= 1);
  assert.equal(parseDockerfile('\ufeffFROM a\r\nRUN b\r\n').stages[0]!.instructions[0]!.line, 2);
  assert.deepEqual(baseChain(parseDockerfile('FROM a AS s1\nFROM s1 AS s2\nFROM s2\n'), 2), [0, 1, 2]);
});

test('cacheOrder: a stage waits for the earlier stages that share a cache mount (by id, else by target)', () => {
  const df = parseDockerfile([
    'FROM busybox AS a',
    'RUN --mount=type=cache,target=/root/.cache,id=pip true',
    'FROM busybox AS b',
    'RUN --mount=type=cache,target=/other,id=pip true',
    'FROM busybox AS c',
    'RUN --mount=type=cache,target=/go true',
    'FROM busybox AS d',
    'RUN --mount=type=bind,target=/go --mount=type=cache,dst=/go true',
    'FROM busybox AS e',
    'RUN --mount=type=cache,target=/root/.cache true',
    '',
  ].join('\n'));
  // b shares id "pip" with a; d shares target /go with c; e's /root/.cache has the default id,
  // which is not a's "pip"; a bind mount is no cache.
  assert.deepEqual(cacheOrder(df, [0, 1, 2, 3, 4]), [[], [0], [], [2], []]);
  // Only positions within the selection count.
  assert.deepEqual(cacheOrder(df, [1, 3]), [[], []]);
});
