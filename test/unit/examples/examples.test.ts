// The example must stay buildable where only Debian's archive is reachable: its Dockerfiles may
// only start from images the fixture script makes, pip may never ask an index, and the
// requirements may only name local sources that exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDockerfile, type ParsedDockerfile, type ParsedStage } from '../../../src/core/dockerfile/parse';

const root = join(__dirname, '..', '..', '..');
const examples = join(root, 'examples');
const read = (name: string): string => readFileSync(join(examples, name), 'utf8');
const parse = (name: string): ParsedDockerfile => parseDockerfile(read(name));
const DOCKERFILES = ['Dockerfile.single-stage', 'Dockerfile', 'Dockerfile.advanced'];

async function fixtureImages(): Promise<string[]> {
  const mod = (await import(pathToFileURL(join(root, 'scripts', 'fixtures.mjs')).href)) as { FIXTURE_IMAGES: string[] };
  return mod.FIXTURE_IMAGES;
}

const runs = (stage: ParsedStage) => stage.instructions.filter((i) => i.keyword === 'RUN');

test('every base image of the examples is one the fixture script builds', async () => {
  const images = await fixtureImages();
  for (const file of DOCKERFILES) {
    const df = parse(file);
    assert.deepEqual(df.problems, [], file);
    for (const stage of df.stages.filter((s) => s.baseStage === null)) {
      assert.ok(images.includes(stage.resolvedBaseImage), `${file}: FROM ${stage.resolvedBaseImage} is not a fixture image`);
    }
  }
});

test('no Dockerfile needs a frontend image (no # syntax= directive)', () => {
  for (const file of DOCKERFILES) assert.equal(parse(file).syntax, null, file);
});

test('every pip install runs with --no-index and --no-build-isolation or from local wheels', () => {
  let installs = 0;
  for (const file of DOCKERFILES) {
    for (const stage of parse(file).stages) {
      for (const run of runs(stage).filter((r) => /\bpip install\b/.test(r.args))) {
        installs++;
        assert.match(run.args, /--no-index/, `${file}:${run.line} pip may not reach an index`);
        assert.ok(/--no-build-isolation/.test(run.args) || /--find-links \/usr\/share\/python-wheels/.test(run.args),
          `${file}:${run.line} builds must use the image's setuptools/wheel`);
      }
    }
  }
  assert.ok(installs >= 4, `expected pip installs in all three files, saw ${installs}`);
});

test('requirements name only local packages that exist and can be built', () => {
  for (const file of ['requirements.txt', 'requirements-dev.txt']) {
    const entries = read(file).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    assert.ok(entries.length > 0, file);
    for (const entry of entries) {
      assert.match(entry, /^\.\//, `${file}: ${entry} is not a local path`);
      assert.ok(existsSync(join(examples, entry, 'pyproject.toml')), `${file}: ${entry} has no pyproject.toml`);
    }
  }
  assert.ok(existsSync(join(examples, 'vendor', 'fastcalc', 'src', 'fastcalc.c')), 'the runtime dependency is a C extension');
});

test('single-stage ships compilers and dev requirements in its only stage', () => {
  const df = parse('Dockerfile.single-stage');
  assert.equal(df.stages.length, 1);
  assert.equal(df.stages[0]!.resolvedBaseImage, 'python:3.12');
  const text = runs(df.stages[0]!).map((r) => r.args).join('\n');
  assert.match(text, /build-essential gcc g\+\+ make pkg-config/);
  assert.match(text, /-r requirements\.txt -r requirements-dev\.txt/);
});

test('multi-stage: compilers in the builder, runtime on slim with only the venv copied over', () => {
  const df = parse('Dockerfile');
  assert.deepEqual(df.stages.map((s) => [s.name, s.resolvedBaseImage]), [['builder', 'python:3.12'], ['runtime', 'python:3.12-slim']]);
  const [builder, runtime] = df.stages as [ParsedStage, ParsedStage];
  assert.ok(runs(builder).some((r) => /build-essential/.test(r.args)));
  assert.equal(runs(runtime).length, 0, 'the runtime stage installs nothing');
  assert.deepEqual(runtime.dependsOn, [0]);
  const copy = runtime.instructions.find((i) => i.keyword === 'COPY' && i.flags.some((f) => f.name === 'from'));
  assert.equal(copy?.args, '/opt/venv /opt/venv');
  assert.ok(!/requirements-dev/.test(builder.instructions.map((i) => i.args).join('\n')), 'dev tools stay out of the shipped venv');
});

test('advanced: cache mounts, a test stage off the builder, non-root runtime', () => {
  const df = parse('Dockerfile.advanced');
  assert.deepEqual(df.stages.map((s) => s.name), ['builder', 'test', 'venv', 'runtime']);
  const byName = (n: string) => df.stages.find((s) => s.name === n)!;
  const mounts = df.stages.flatMap(runs).flatMap((r) => r.flags.filter((f) => f.name === 'mount').map((f) => f.value ?? ''));
  assert.ok(mounts.some((m) => m.includes('type=cache') && m.includes('/root/.cache/pip')), 'pip cache mount');
  assert.ok(mounts.some((m) => m.includes('type=cache') && m.includes('/var/cache/apt')), 'apt cache mount');
  assert.equal(byName('test').baseStage, 0);
  const runtime = byName('runtime');
  assert.equal(runtime.resolvedBaseImage, 'python:3.12-slim');
  assert.ok(!runtime.dependsOn.includes(byName('test').index), 'dev tools never reach the runtime');
  const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1);
  assert.ok(user && !/^(root|0)(:|$)/.test(user.args), 'runtime runs as a non-root user');
  // Dependencies first: the app source is copied after the dependency install.
  const builder = byName('builder');
  const install = builder.instructions.findIndex((i) => i.keyword === 'RUN' && /-r requirements\.txt/.test(i.args));
  assert.ok(install > builder.instructions.findIndex((i) => i.keyword === 'COPY' && /requirements\.txt/.test(i.args)));
  assert.ok(!builder.instructions.some((i) => i.keyword === 'COPY' && /app\.py/.test(i.args)), 'app.py is not part of the dependency layers');
});
