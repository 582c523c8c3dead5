// The seed's scenario on the realistic fixture images: the multi-stage example's final image
// is smaller than the single-stage one, and the heavy instructions map to their lines.
// Host networking: the examples' apt-get needs Debian's archive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeStages } from '../../src/engine/analyze';
import type { AnalysisReport } from '../../src/core/report';
import { engine } from './util';
import { fixturesSkip } from '../harness/engine';

const examples = join(__dirname, '..', '..', 'examples');

function lineOf(file: string, re: RegExp): number {
  const i = readFileSync(join(examples, file), 'utf8').split('\n').findIndex((l) => re.test(l));
  assert.ok(i >= 0, `${re} in ${file}`);
  return i + 1;
}

function checkSizes(r: AnalysisReport): void {
  for (const s of r.stages) {
    assert.equal(s.error, null, `${s.name ?? s.index}: ${s.error?.message}`);
    const sum = s.layers.reduce((n, l) => n + l.sizeBytes, 0);
    assert.equal(sum, s.sizeBytes, `stage ${s.name ?? s.index}: layers add up to the image size`);
  }
}

test('examples: multi-stage final image is smaller than the single-stage image, layers on their lines', { timeout: 1_500_000, skip: fixturesSkip('python') }, async () => {
  const { connection } = await engine();
  const single = await analyzeStages({ dockerfilePath: join(examples, 'Dockerfile.single-stage'), contextDir: examples, connection, network: 'host' });
  checkSizes(single);
  const multi = await analyzeStages({ dockerfilePath: join(examples, 'Dockerfile'), contextDir: examples, connection, network: 'host' });
  checkSizes(multi);

  assert.equal(single.stages.length, 1);
  const s = single.stages[0]!;
  const pipLine = lineOf('Dockerfile.single-stage', /^RUN pip install/);
  assert.ok(s.layers.some((l) => l.line === pipLine && !l.fromBase && l.sizeBytes > 0), 'the pip install layer maps to its line');
  assert.equal(s.baseImage, 'python:3.12');

  assert.deepEqual(multi.stages.map((x) => [x.name, x.final]), [['builder', false], ['runtime', true]]);
  const runtime = multi.stages[1]!;
  assert.equal(runtime.baseImage, 'python:3.12-slim');
  const copyLine = lineOf('Dockerfile', /^COPY --from=builder/);
  const venv = runtime.layers.find((l) => l.line === copyLine);
  assert.ok(venv && !venv.fromBase && venv.sizeBytes > 0, 'the venv copy maps to its COPY line');
  assert.ok(runtime.sizeBytes! < s.sizeBytes!, `multi-stage ${runtime.sizeBytes} < single-stage ${s.sizeBytes}`);
  assert.ok(runtime.sizeBytes! < multi.stages[0]!.sizeBytes!, 'the runtime is smaller than its builder');
});
