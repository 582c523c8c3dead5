// Compose rules from the compose-spec (interpolation.md, merge.md, build.md) as cases written
// for this project: each test states the rule it checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ComposeError, InterpolationError, interpolate, jobKey, mergeComposeFiles, parseComposeFile, parseDotenv, planAnalyses,
  projectVariables, resolveProject, selectServices, analyzeServices, summarizeService, type ComposeFile,
} from '../../../src/core/compose';
import type { AnalysisReport } from '../../../src/core/report';

const P = '/proj';
const parse = (text: string, vars: Record<string, string> = {}, file = `${P}/compose.yaml`): ComposeFile => parseComposeFile(text, file, vars);
const project = (texts: string[], vars: Record<string, string> = {}) =>
  resolveProject(texts.map((t, i) => parse(t, vars, `${P}/f${i}.yaml`)), { projectDir: P, vars, home: '/home/u' });

function composeError(fn: () => unknown): ComposeError {
  try { fn(); } catch (e) { if (e instanceof ComposeError) return e; throw e; }
  assert.fail('expected a ComposeError');
}

// --- interpolation.md ---

test('interpolation: $VAR and ${VAR} substitute; unset without default is "" and reported', () => {
  assert.deepEqual(interpolate('a-$X-${X}', { X: '1' }), { value: 'a-1-1', unset: [] });
  assert.deepEqual(interpolate('a${NOPE}b$NOPE', {}), { value: 'ab', unset: ['NOPE'] });
});

test('interpolation: :- takes the default when unset or empty, - only when unset', () => {
  assert.equal(interpolate('${V:-d}', {}).value, 'd');
  assert.equal(interpolate('${V:-d}', { V: '' }).value, 'd');
  assert.equal(interpolate('${V-d}', { V: '' }).value, '');
  assert.equal(interpolate('${V-d}', {}).value, 'd');
  assert.equal(interpolate('${V:-d}', { V: 'x' }).value, 'x');
});

test('interpolation: :? fails when unset or empty, ? only when unset, with the message', () => {
  assert.throws(() => interpolate('${V:?set V please}', { V: '' }), (e: unknown) => e instanceof InterpolationError && /V is empty: set V please/.test(e.message));
  assert.throws(() => interpolate('${V?need V}', {}), /V is unset: need V/);
  assert.equal(interpolate('${V?need V}', { V: '' }).value, '');
  assert.equal(interpolate('${V:?x}', { V: 'ok' }).value, 'ok');
});

test('interpolation: :+ and + give the replacement only when set', () => {
  assert.equal(interpolate('${V:+yes}', { V: 'x' }).value, 'yes');
  assert.equal(interpolate('${V:+yes}', { V: '' }).value, '');
  assert.equal(interpolate('${V+yes}', { V: '' }).value, 'yes');
  assert.equal(interpolate('${V+yes}', {}).value, '');
});

test('interpolation: nesting in the default, and $$ is a literal dollar that is not interpolated', () => {
  assert.equal(interpolate('${A:-${B:-deep}}', {}).value, 'deep');
  assert.equal(interpolate('${A:-${B}}', { B: 'b' }).value, 'b');
  assert.equal(interpolate('${A?$B}', { A: 'a' }).value, 'a');
  assert.equal(interpolate('$$VAR_NOT_INTERPOLATED', { VAR_NOT_INTERPOLATED: 'no' }).value, '$VAR_NOT_INTERPOLATED');
  assert.equal(interpolate('cost $$5', {}).value, 'cost $5');
});

test('interpolation: unsupported shell forms and stray $ are errors, not silent text', () => {
  assert.throws(() => interpolate('${V/foo/bar}', { V: 'x' }), InterpolationError);
  assert.throws(() => interpolate('price $5', {}), /\$\$/);
  assert.throws(() => interpolate('${V', {}), /closing/);
});

// --- .env ---

test('.env: comments, export, quotes, inline comments; environment wins over .env', () => {
  const text = '# comment\nexport A=1\nB = two words # note\nC="x\\ny"\nD=\'$A literal\'\nE=${A}-e\n\nF=#not a comment\n';
  const env = parseDotenv(text);
  assert.deepEqual(env, { A: '1', B: 'two words', C: 'x\ny', D: '$A literal', E: '1-e', F: '#not a comment' });
  const vars = projectVariables('A=file\nB=file', { A: 'shell' });
  assert.equal(vars.A, 'shell');
  assert.equal(vars.B, 'file');
});

// --- build.md ---

test('build: short form is the context; mapping fields; defaults context "." and Dockerfile', () => {
  const p = project([`services:
  web:
    build: ./webapp
  api:
    build:
      context: backend
      dockerfile: ../backend.Dockerfile
      target: prod
      network: host
  plain:
    build:
      args: { A: 1 }
  db:
    image: postgres
`]);
  const [web, api, plain] = p.builds;
  assert.equal(web!.context, '/proj/webapp');
  assert.equal(web!.dockerfile, '/proj/webapp/Dockerfile');
  assert.equal(api!.context, '/proj/backend');
  assert.equal(api!.dockerfile, '/proj/backend.Dockerfile', 'dockerfile resolves from the context');
  assert.equal(api!.target, 'prod');
  assert.equal(api!.network, 'host');
  assert.equal(plain!.context, '/proj');
  assert.deepEqual(plain!.args, { A: '1' });
  assert.deepEqual(p.imageOnly.map((s) => s.service), ['db']);
});

test('build: args as a mapping and as a list; a valueless arg takes the variable or stays unset', () => {
  const p = project([`services:
  m:
    build:
      context: .
      args:
        GIT_COMMIT: cdc3b19
        FROM_ENV:
        MISSING:
  l:
    build:
      context: .
      args:
        - GIT_COMMIT=cdc3b19
        - EMPTY=
        - FROM_ENV
        - MISSING
`], { FROM_ENV: 'env' });
  for (const b of p.builds) {
    assert.equal(b.args.GIT_COMMIT, 'cdc3b19');
    assert.equal(b.args.FROM_ENV, 'env');
    assert.ok(!('MISSING' in b.args));
    assert.deepEqual(b.argsUnset, ['MISSING']);
  }
  assert.equal(p.builds[1]!.args.EMPTY, '');
});

test('build: values are interpolated, including args and target; ~ is the home folder', () => {
  const p = project([`services:
  s:
    build:
      context: \${CTX:-~/src}
      target: \${TARGET-runtime}
      args:
        VERSION: \${PY_VERSION:-3.12}
`], { PY_VERSION: '3.11' });
  const b = p.builds[0]!;
  assert.equal(b.context, '/home/u/src');
  assert.equal(b.target, 'runtime');
  assert.equal(b.args.VERSION, '3.11');
});

test('build: dockerfile_inline carries the text; dockerfile and dockerfile_inline together is an error', () => {
  const p = project(['services:\n  i:\n    build:\n      context: .\n      dockerfile_inline: |\n        FROM busybox\n        RUN echo $${X}\n']);
  assert.equal(p.builds[0]!.dockerfileInline, 'FROM busybox\nRUN echo ${X}\n');
  const e = composeError(() => parse('services:\n  i:\n    build:\n      dockerfile: D\n      dockerfile_inline: FROM x\n'));
  assert.equal(e.line, 5);
  assert.equal(e.key, 'services.i.build');
});

// --- merge.md ---

test('merge: mappings merge key by key, later files win, new services are added', () => {
  const p = project([
    'services:\n  app:\n    build:\n      context: .\n      dockerfile: Dockerfile\n      args:\n        A: "1"\n        B: "1"\n',
    'services:\n  app:\n    build:\n      target: prod\n      args:\n        - B=2\n        - C=3\n  extra:\n    build: ./extra\n',
  ]);
  const app = p.builds.find((b) => b.service === 'app')!;
  assert.equal(app.dockerfile, '/proj/Dockerfile');
  assert.equal(app.target, 'prod');
  assert.deepEqual(app.args, { A: '1', B: '2', C: '3' }, 'list-form args merge into the mapping by name');
  assert.equal(app.file, '/proj/f1.yaml', 'the lens/error location is the last file that set build');
  assert.ok(p.builds.some((b) => b.service === 'extra'));
});

test('merge: short form in an override replaces only the context', () => {
  const p = project(['services:\n  a:\n    build:\n      context: one\n      target: t\n', 'services:\n  a:\n    build: two\n']);
  assert.equal(p.builds[0]!.context, '/proj/two');
  assert.equal(p.builds[0]!.target, 't');
});

test('merge: !reset clears a value, !override replaces instead of merging', () => {
  const base = 'services:\n  a:\n    build:\n      context: .\n      target: t\n      args:\n        A: "1"\n';
  const reset = project([base, 'services:\n  a:\n    build:\n      target: !reset null\n      args: !reset {}\n']).builds[0]!;
  assert.equal(reset.target, null);
  assert.deepEqual(reset.args, {});
  const over = project([base, 'services:\n  a:\n    build: !override\n      context: other\n      args:\n        B: "2"\n']).builds[0]!;
  assert.equal(over.context, '/proj/other');
  assert.equal(over.target, null);
  assert.deepEqual(over.args, { B: '2' });
  const gone = project([base, 'services:\n  a:\n    build: !reset null\n    image: x\n']);
  assert.equal(gone.builds.length, 0);
  assert.deepEqual(gone.imageOnly.map((s) => s.service), ['a']);
});

test('merge: interpolation happens per file before the merge', () => {
  // Each file sees the same variables; the override's own default applies in the override.
  const merged = mergeComposeFiles([parse('services:\n  a:\n    build:\n      target: ${T:-base}\n'), parse('services:\n  a:\n    build:\n      args:\n        X: ${T:-over}\n')]);
  assert.equal(merged[0]!.build!.target!.value, 'base');
  assert.equal(merged[0]!.build!.args!.entries.X!.value, 'over');
});

test('YAML anchors and merge keys are followed', () => {
  const p = project(['x-build: &b\n  context: .\n  target: runtime\nservices:\n  a:\n    build:\n      <<: *b\n      args: { A: "1" }\n  c:\n    build: *b\n']);
  assert.deepEqual(p.builds.map((b) => [b.service, b.target]), [['a', 'runtime'], ['c', 'runtime']]);
});

// --- errors name the key and the line ---

test('errors: invalid compose files name the key and the line', () => {
  let e = composeError(() => parse('services:\n  web:\n    build:\n      context: .\n      args: 5\n'));
  assert.equal(e.key, 'services.web.build.args');
  assert.equal(e.line, 5);
  assert.match(e.message, /compose\.yaml:5: services\.web\.build\.args: must be a mapping/);
  e = composeError(() => parse('services:\n  web:\n    build:\n      target: [a, b]\n'));
  assert.equal(e.key, 'services.web.build.target');
  assert.equal(e.line, 4);
  e = composeError(() => parse('services:\n  web: 3\n'));
  assert.equal(e.key, 'services.web');
  e = composeError(() => parse('services:\n  web:\n    build:\n      context: .\n     target: x\n'));
  assert.match(e.message, /not valid YAML/);
  assert.ok(e.line !== null && e.line >= 4);
  e = composeError(() => parse('services:\n  web:\n    build:\n      context: ${CTX:?set CTX to the app folder}\n'));
  assert.equal(e.line, 4);
  assert.equal(e.key, 'services.web.build.context');
  assert.match(e.message, /set CTX to the app folder/);
  e = composeError(() => parse('version: "3"\n'));
  assert.equal(e.key, 'services');
  e = composeError(() => parse('services:\n  a:\n    build:\n      args:\n        - 7\n'));
  assert.equal(e.line, 5);
  e = composeError(() => project(['services:\n  a:\n    build: https://github.com/x/y.git\n']));
  assert.match(e.message, /remote repository/);
});

test('select and plan: unknown service names list the known ones; identical builds share one analysis', () => {
  const p = project([`services:
  a: { build: { context: ., target: runtime, args: { X: "1" } } }
  b: { build: { context: ., target: runtime, args: [X=1] } }
  c: { build: { context: ., target: builder } }
  d: { image: redis }
`]);
  assert.throws(() => selectServices(p, ['nope']), /no service nope\. Services with a build: a, b, c/);
  assert.throws(() => selectServices(p, ['d']), /has no build/);
  assert.deepEqual(selectServices(p, ['c', 'a', 'c']).map((b) => b.service), ['c', 'a']);
  const jobs = planAnalyses(p.builds);
  assert.deepEqual(jobs.map((j) => j.services), [['a', 'b'], ['c']]);
  assert.equal(jobKey(p.builds[0]!), jobKey(p.builds[1]!));
});

test('analyzeServices runs each distinct build once and points every service at its analysis', async () => {
  const p = project(['services:\n  a: { build: . }\n  b: { build: . }\n  c: { build: { context: ., target: t } }\n']);
  const calls: string[][] = [];
  const fake = (target: string | null, size: number): AnalysisReport => ({
    schemaVersion: 1, dockerfile: '/proj/Dockerfile', context: '/proj', engine: { endpoint: 'x', version: '1', apiVersion: '1', builder: 'buildkit' },
    startedAt: '', durationMs: 1, stages: [{ index: 0, name: target, line: 1, baseImage: 'b', baseStage: null, imageId: 'i', sizeBytes: size, baseSizeBytes: 0, addedBytes: size, buildMs: 5, layers: [], error: null, final: true }],
  });
  const r = await analyzeServices(p, p.builds, async (job) => { calls.push(job.services); if (job.build.target) throw new Error('target t: no such stage'); return fake(job.build.target, 42); });
  assert.deepEqual(calls, [['a', 'b'], ['c']]);
  assert.equal(r.analyses.length, 1);
  assert.deepEqual(r.services.map((s) => [s.service, s.analysis, s.sharedWith, s.error]), [['a', 0, ['b'], null], ['b', 0, ['a'], null], ['c', null, [], 'target t: no such stage']]);
  assert.equal(summarizeService(r, r.services[0]!).sizeBytes, 42);
  assert.equal(summarizeService(r, r.services[0]!).pullBytes, null);
  assert.equal(summarizeService(r, r.services[2]!).failed, true);
});

test('.env: a bad line is an error naming the line', () => {
  assert.throws(() => parseDotenv('A=1\n=oops\n'), (e: unknown) => e instanceof Error && (e as { line?: number }).line === 2 && /line 2 is not KEY=value/.test(e.message));
  assert.throws(() => parseDotenv('A="open\n'), (e: unknown) => (e as { detail?: string }).detail === 'the double quote of A is never closed');
  assert.throws(() => parseDotenv('A=${B:?B is needed}\n'), (e: unknown) => /^A: required variable B is unset: B is needed/.test((e as { detail: string }).detail));
});
