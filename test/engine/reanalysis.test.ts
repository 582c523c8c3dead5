// Incremental re-analysis and concurrent stage builds on the real engine (issue 11): after an
// edit of the last stage only that stage builds again, the others keep their measurements
// (marked reused, same numbers); a stage whose image was removed is built again; independent
// stages build at the same time, the report stays in stage order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyzeStages, type ProgressEvent } from '../../src/engine/analyze';
import { cleanUpImages } from '../../src/engine/cleanup';
import { BUSYBOX, contextWith, engine, nonce } from './util';

function fourStages(n: string, last: string): string {
  return [
    `FROM ${BUSYBOX} AS base`,
    `RUN echo ${n} base > /base && head -c 20000 /dev/zero > /base.bin`,
    'FROM base AS deps',
    'COPY app.txt /app.txt',
    'RUN echo deps > /deps',
    `FROM ${BUSYBOX} AS tools`,
    `RUN echo ${n} tools > /tools`,
    'FROM deps AS final',
    'COPY --from=tools /tools /tools',
    `RUN ${last}`,
    '',
  ].join('\n');
}

const measured = (s: { imageId: string | null; sizeBytes: number | null; baseSizeBytes: number | null; addedBytes: number | null; layers: unknown[]; line: number }): unknown =>
  ({ imageId: s.imageId, sizeBytes: s.sizeBytes, baseSizeBytes: s.baseSizeBytes, addedBytes: s.addedBytes, layers: s.layers, line: s.line });

test('an edit in the last stage rebuilds only it; the others are reused with identical numbers', async (t) => {
  const { connection } = await engine();
  if (!connection.buildkit || connection.product === 'podman') { t.skip('BuildKit engine needed'); return; }
  const dir = contextWith({ 'app.txt': 'hello\n' });
  const dockerfilePath = join(dir, 'Dockerfile');
  t.after(() => cleanUpImages(connection.docker, { dockerfile: dockerfilePath }));
  const n = nonce();
  const text1 = fourStages(n, 'echo one > /final');
  const first = await analyzeStages({ dockerfilePath, contextDir: dir, text: text1, connection, builder: 'buildkit', network: 'none' });
  assert.deepEqual(first.stages.map((s) => s.error), [null, null, null, null]);
  assert.ok(first.stages.every((s) => !s.reused && typeof s.inputKey === 'string'));

  const text2 = fourStages(n, 'echo two > /final && echo more >> /final');
  const built: number[] = [];
  const events: ProgressEvent[] = [];
  const second = await analyzeStages({
    dockerfilePath, contextDir: dir, text: text2, connection, builder: 'buildkit', network: 'none', previous: { report: first, text: text1 },
    onProgress: (e) => { events.push(e); if (e.type === 'vertex' && !built.includes(e.stage)) built.push(e.stage); },
  });
  assert.deepEqual(second.stages.map((s) => s.error), [null, null, null, null]);
  assert.deepEqual(second.stages.map((s) => !!s.reused), [true, true, true, false]);
  assert.deepEqual(built, [3], 'only the edited stage went to the builder');
  for (const i of [0, 1, 2]) assert.deepEqual(measured(second.stages[i]!), measured(first.stages[i]!), `stage ${i} kept its measurements`);
  assert.notEqual(second.stages[3]!.imageId, first.stages[3]!.imageId);
  assert.ok(second.stages[3]!.layers.some((l) => l.line === 10 && l.instruction?.includes('echo two')));
  // The reused stages carry the new text's tag, pointing at the same image.
  for (const i of [0, 1, 2]) {
    const s = second.stages[i]!;
    assert.ok(s.tag?.startsWith(`stagelens/${second.dockerfileHash!.slice(0, 12)}:`));
    assert.equal((await connection.docker.getImage(s.tag!).inspect()).Id, s.imageId);
  }
  assert.deepEqual(events.filter((e) => e.type === 'stage-finish').map((e) => e.type === 'stage-finish' && !!e.reused), [true, true, true, false]);

  // A context file changes: the stage that copies it and the stages after it are built again.
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'app.txt'), 'hello again\n');
  const third = await analyzeStages({ dockerfilePath, contextDir: dir, text: text2, connection, builder: 'buildkit', network: 'none', previous: { report: second, text: text2 } });
  assert.deepEqual(third.stages.map((s) => !!s.reused), [true, false, true, false]);

  // An image removed from the engine is not reused: the stage is built again.
  await connection.docker.getImage(third.stages[2]!.imageId!).remove({ force: true });
  const fourth = await analyzeStages({ dockerfilePath, contextDir: dir, text: text2, connection, builder: 'buildkit', network: 'none', previous: { report: third, text: text2 } });
  assert.deepEqual(fourth.stages.map((s) => !!s.reused), [true, true, false, true]);
  assert.equal(fourth.stages[2]!.sizeBytes, third.stages[2]!.sizeBytes);
  assert.equal(fourth.stages[2]!.error, null);
});

test('the stage that needs two independent ones builds first and runs both side by side; they then build from its cache, and the report stays in stage order', async (t) => {
  const { connection } = await engine();
  if (!connection.buildkit || connection.product === 'podman') { t.skip('BuildKit engine needed'); return; }
  const dir = contextWith({});
  const dockerfilePath = join(dir, 'Dockerfile');
  t.after(() => cleanUpImages(connection.docker, { dockerfile: dockerfilePath }));
  const n = nonce();
  const text = [
    `FROM ${BUSYBOX} AS a`, `RUN echo ${n} a && sleep 2 && echo a > /a`,
    `FROM ${BUSYBOX} AS b`, `RUN echo ${n} b && sleep 2 && echo b > /b`,
    `FROM ${BUSYBOX} AS c`, 'COPY --from=a /a /a', 'COPY --from=b /b /b', '',
  ].join('\n');
  const order: string[] = [];
  const report = await analyzeStages({
    dockerfilePath, contextDir: dir, text, connection, builder: 'buildkit', network: 'none',
    onProgress: (e) => { if (e.type === 'stage-start' || e.type === 'stage-finish') order.push(`${e.type} ${e.stage}`); },
  });
  assert.deepEqual(report.stages.map((s) => [s.index, s.error]), [[0, null], [1, null], [2, null]]);
  assert.equal(order[0], 'stage-start 2', `the last stage's build comes first: ${order.join(', ')}`);
  // c is judged after the stages it copies from.
  assert.ok(order.indexOf('stage-finish 2') > Math.max(order.indexOf('stage-finish 0'), order.indexOf('stage-finish 1')), order.join(', '));
  // The RUNs of a and b ran once, in c's build: their layers say so, with the time they took.
  for (const s of report.stages.slice(0, 2)) {
    const run = s.layers.find((l) => l.line === s.line + 1)!;
    assert.equal(run.cached, false, `stage ${s.name}: its RUN ran in this analysis`);
    assert.ok(run.durationMs! >= 2000, `stage ${s.name}: RUN took ${run.durationMs} ms`);
    assert.ok(s.buildMs >= 2000, `stage ${s.name}: build time counts its own steps (${s.buildMs} ms)`);
  }
  assert.ok(report.durationMs < report.stages[0]!.buildMs + report.stages[1]!.buildMs, `built side by side: ${report.durationMs} ms for ${report.stages[0]!.buildMs} + ${report.stages[1]!.buildMs} ms`);
  assert.equal(report.engine.contextTransport, 'session');
  assert.ok(typeof report.contextBytes === 'number' && report.contextBytes < 10_000, `context bytes ${report.contextBytes}`);
});
