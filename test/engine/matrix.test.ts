// The engine-matrix suite: what Stage Lens must get right on EVERY engine users run (Docker 20.10
// and 26 on overlay2, Docker 26 and 28 on the containerd image store, Podman 4.3). npm test runs
// it on the main engine and again on each engine of scripts/engines.mjs (STAGELENS_TEST_ENGINE
// names it); run it by hand with
//   eval "$(node scripts/engines.mjs start docker26-containerd)"; \
//   node scripts/fixtures.mjs --host "$DOCKER_HOST" --only busybox; \
//   STAGELENS_TEST_ENGINE=docker26-containerd STAGELENS_TEST_DOCKER_HOST=$DOCKER_HOST \
//   STAGELENS_TEST_FIXTURES=busybox node --import tsx --test test/engine/matrix.test.ts
//
// Sizes are checked against a REFERENCE build made by the engine's own client (buildx / docker
// CLI / podman CLI, see test/harness/matrix.ts), never against Stage Lens's own numbers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type Dockerode from 'dockerode';
import { join } from 'node:path';
import { analyzeStages, stageImageRepo } from '../../src/engine/analyze';
import { cleanUpImages, listStageLensImages } from '../../src/engine/cleanup';
import type { AnalysisReport, StageReport } from '../../src/core/report';
import { describeFacts, engineFacts, referenceBuilder, unpackedLayerSum, type EngineFacts, type ReferenceBuilder } from '../harness/matrix';
import { BUSYBOX, contextWith, engine, nonce } from './util';

const root = join(__dirname, '..', '..');
const MiB16 = 16 * 1024 * 1024;
const STAGES = ['base', 'deps', 'build', 'final'];

// base → deps (+16 MiB RUN) → build → final. Random bytes, so no store can compress or dedupe
// them away, and a nonce so no earlier run's cache answers.
const FOUR_STAGES = (n: string): string => [
  `FROM ${BUSYBOX} AS base`, //                                               1
  `ENV NONCE=${n}`, //                                                        2
  'RUN head -c 8000000 /dev/urandom > /base.bin', //                          3
  '', //                                                                      4
  'FROM base AS deps', //                                                     5
  'RUN head -c 16777216 /dev/urandom > /deps.bin', //                         6
  '', //                                                                      7
  'FROM deps AS build', //                                                    8
  'RUN mkdir /out && head -c 1000000 /dev/urandom > /out/app.bin', //         9
  '', //                                                                      10
  'FROM base AS final', //                                                    11
  'COPY --from=build /out/app.bin /app.bin', //                               12
  'CMD ["sh"]', //                                                            13
  '',
].join('\n');
const RUN16_LINE = 6;
/** The lines of each stage's own instructions: every non-base layer must map to one of them. */
const OWN_LINES = [[2, 3], [6], [9], [12, 13]];

/** Set by npm test when a matrix engine (Debian unstable's) could not be fetched or started. */
const unavailable = process.env.STAGELENS_TEST_ENGINE_UNAVAILABLE
  ? `${process.env.STAGELENS_TEST_ENGINE ?? 'engine'} unavailable: ${process.env.STAGELENS_TEST_ENGINE_UNAVAILABLE}` : false;

let facts: EngineFacts;
let ref: ReferenceBuilder;
let dir: string;
let n: string;
/** Σ history Size of each stage built by hand with the reference client. */
const refSize: Record<string, number> = {};
const refTags: string[] = [];

before(async () => {
  if (unavailable) return;
  const { connection, host } = await engine();
  facts = await engineFacts(connection.docker);
  ref = await referenceBuilder(host, facts);
  // In the test output, so every run says exactly which engine it proved things on.
  console.log(`# engine under test: ${describeFacts(facts)} at ${host}`);
  console.log(`# reference builds: ${ref.tool}`);
  n = nonce();
  dir = contextWith({ Dockerfile: FOUR_STAGES(n) });
  for (const s of STAGES) {
    const tag = `stagelens-matrix-ref/${n}:${s}`;
    await ref.build({ dockerfile: join(dir, 'Dockerfile'), context: dir, target: s, tag });
    refTags.push(tag);
    refSize[s] = await unpackedLayerSum(connection.docker, tag);
    if (!facts.containerdStore) {
      // Where inspect Size is the unpacked size, the engine must agree with itself: exactly on
      // Docker's graph drivers; Podman's inspect Size also counts the image's config and manifest
      // (a few kB), so there within 0.1 %.
      const inspect = await connection.docker.getImage(tag).inspect();
      if (facts.product === 'Docker') assert.equal(refSize[s], inspect.Size, `${facts.name}: Σ history of ${tag} must equal its inspect Size on ${facts.store}`);
      else assert.ok(Math.abs(refSize[s]! - inspect.Size) <= inspect.Size * 0.001, `${facts.name}: Σ history ${refSize[s]} of ${tag} is far from its inspect Size ${inspect.Size}`);
    }
  }
  console.log(`# reference unpacked sizes: ${STAGES.map((s) => `${s} ${refSize[s]}`).join(', ')}`);
});

function within1pct(actual: number | null, expected: number): boolean {
  return actual !== null && Math.abs(actual - expected) <= expected * 0.01;
}

/** Assertions shared by the library and the CLI run of the 4-stage Dockerfile. */
function assertFourStages(report: AnalysisReport, via: string): void {
  assert.equal(report.stages.length, 4);
  for (const s of report.stages) assert.equal(s.error, null, `${via} on ${facts.name}: stage ${s.name}: ${s.error?.message}`);
  const sizes = report.stages.map((s) => `${s.name} ${s.sizeBytes} (reference ${refSize[s.name!]})`).join(', ');
  console.log(`# ${via} sizes on ${facts.name}: ${sizes}`);
  for (const s of report.stages) {
    assert.ok(within1pct(s.sizeBytes, refSize[s.name!]!), `${via} on ${facts.name} (${facts.store}): stage ${s.name} sizeBytes ${s.sizeBytes} is not within 1 % of the unpacked layer sum ${refSize[s.name!]} of the same stage built by ${ref.tool}`);
  }
  const deps = report.stages[1] as StageReport;
  const big = deps.layers.find((l) => !l.fromBase && l.line === RUN16_LINE);
  const ownLines = deps.layers.filter((l) => !l.fromBase).map((l) => `${l.line}:${l.sizeBytes}:${l.createdBy.slice(0, 50)}`);
  assert.ok(big, `${via} on ${facts.name}: the 16 MiB RUN maps to line ${RUN16_LINE} (deps layers not from base: ${ownLines.join(' | ')})`);
  assert.ok(within1pct(big.sizeBytes, MiB16), `${via} on ${facts.name}: the line-${RUN16_LINE} layer measures ${big.sizeBytes}, not 16 MiB`);
  assert.match(big.instruction ?? '', /^RUN head -c 16777216/);
  // Every layer a stage added is one of its own instructions — never an engine artefact such as
  // Podman's one `#(nop) LABEL` history entry per build label.
  report.stages.forEach((s, i) => {
    const stray = s.layers.filter((l) => !l.fromBase && !l.buildLabel && (l.line === null || !OWN_LINES[i]!.includes(l.line)));
    assert.deepEqual(stray.map((l) => l.createdBy), [], `${via} on ${facts.name}: stage ${s.name} shows layers that are not its instructions`);
  });
  if (facts.product === 'Docker') {
    assert.equal(report.engine.builder, 'buildkit', `${via} on ${facts.name}: BuildKit must be used on every Docker engine`);
  } else {
    // Podman ignores version=2 and builds with Buildah: the report must not claim BuildKit, and
    // must name the product it ran on.
    assert.notEqual(report.engine.builder, 'buildkit', `${via} on ${facts.name}: Podman builds with Buildah, not BuildKit`);
    assert.match(JSON.stringify(report.engine), /podman/i, `${via} on ${facts.name}: the report must name the engine Podman (engine: ${JSON.stringify(report.engine)})`);
  }
}

/** The tags in `repo`, however the engine spells them (Podman prefixes `docker.io/` or `localhost/`). */
async function tagsIn(docker: Dockerode, repo: string): Promise<string[]> {
  const norm = (t: string): string => t.replace(/^(docker\.io|localhost)\//, '');
  return (await docker.listImages()).flatMap((i) => i.RepoTags ?? []).map(norm).filter((t) => t.startsWith(`${repo}:`));
}

let libraryReport: AnalysisReport | null = null;
let cliReport: AnalysisReport | null = null;

test('analyzeStages: every stage is the size of the same stage built by hand (±1 %), the 16 MiB RUN is on its line, BuildKit on Docker', { skip: unavailable, timeout: 600_000 }, async () => {
  const { connection } = await engine();
  const report = await analyzeStages({ dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, network: 'none' });
  libraryReport = report;
  console.log(`# analyzeStages engine: ${JSON.stringify(report.engine)}`);
  assertFourStages(report, 'analyzeStages');
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], { cwd: root, env: { ...process.env, DOCKER_HOST: '' } });
    let stdout = ''; let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('stagelens analyze --json: the same truths through the CLI', { skip: unavailable, timeout: 600_000 }, async () => {
  const { host } = await engine();
  // --timeout 60: Podman's service can take longer than the CLI's default 5 s to answer GET /info
  // while the other matrix suites build on it (seen on this loaded machine); this case tests sizes.
  const r = await cli(['analyze', join(dir, 'Dockerfile'), '--host', host, '--timeout', '60', '--network', 'none', '--json']);
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  const report = JSON.parse(r.stdout) as AnalysisReport;
  cliReport = report;
  assert.equal(report.engine.endpoint, host);
  assertFourStages(report, 'CLI');
});

test('a failing RUN is reported on its line; the stage before it is still measured', { skip: unavailable, timeout: 300_000 }, async () => {
  const { connection } = await engine();
  const text = [
    `FROM ${BUSYBOX} AS one`, //             1
    `RUN echo ${nonce()} > /one`, //         2
    'FROM one AS two', //                    3
    'RUN echo about to fail && \\', //       4
    '    exit 3', //                         5
    '',
  ].join('\n');
  const d = contextWith({ Dockerfile: text });
  const report = await analyzeStages({ dockerfilePath: join(d, 'Dockerfile'), contextDir: d, connection, network: 'none' });
  const [one, two] = report.stages;
  assert.equal(one!.error, null, one!.error?.message);
  assert.ok(one!.sizeBytes! > 0);
  assert.equal(two!.imageId, null);
  assert.ok(two!.error, 'stage two failed');
  assert.equal(two!.error.line, 4, `the error names line 4: ${JSON.stringify(two!.error)}`);
  assert.match(two!.error.message, /exit code: 3|non-zero code: 3|exit status 3/);
  const repo = stageImageRepo(report.dockerfileHash!);
  assert.deepEqual(await tagsIn(connection.docker, repo), [`${repo}:one`], 'only the stage that built is tagged');
  await cleanUpImages(connection.docker, { dockerfile: join(d, 'Dockerfile') });
});

test('cancelling mid-build returns promptly and leaves no half tag', { skip: unavailable, timeout: 180_000 }, async () => {
  const { connection } = await engine();
  const m = nonce();
  const text = `FROM ${BUSYBOX} AS slow\nRUN echo ${m} && sleep 30\nFROM slow AS after\nRUN echo after\n`;
  const d = contextWith({ Dockerfile: text });
  const ctl = new AbortController();
  let abortAt = 0;
  const abortSoon = (ms: number): void => { if (!abortAt) { abortAt = Date.now() + ms; setTimeout(() => ctl.abort(), ms); } };
  const report = await analyzeStages({
    dockerfilePath: join(d, 'Dockerfile'), contextDir: d, connection, network: 'none', signal: ctl.signal,
    onProgress: (e) => {
      // Abort once the sleep runs: BuildKit says so in a vertex, the classic builder and Buildah
      // in their step output; if an engine says neither, 8 s after the stage started.
      if (e.type === 'vertex' && e.line === 2 && e.started !== null) abortSoon(1000);
      else if (e.type === 'classic' && (/Running in|sleep 30/.test(e.text))) abortSoon(1500);
      else if (e.type === 'stage-start') setTimeout(() => abortSoon(0), 8000);
    },
  });
  const took = Date.now() - abortAt;
  assert.ok(abortAt > 0, 'the abort fired');
  assert.ok(took < 5000, `returned ${took} ms after the abort`);
  assert.equal(report.cancelled, true);
  assert.deepEqual(report.stages.map((s) => s.imageId), [null, null]);
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await tagsIn(connection.docker, stageImageRepo(report.dockerfileHash!)), [], 'no half-built stage is tagged');
});

test('cleanup removes exactly the Stage Lens images: the reference builds, the fixtures and a look-alike tag stay', { skip: unavailable, timeout: 180_000 }, async () => {
  const { connection } = await engine();
  const docker = connection.docker;
  assert.ok(libraryReport, 'the analyzeStages test ran first');
  // The library and the CLI run built the same text: their stage images (the same ones when the
  // second build was all cache hits) are the Stage Lens images of this Dockerfile.
  const ours = [...libraryReport.stages, ...(cliReport?.stages ?? [])].map((s) => s.imageId).filter((id): id is string => !!id);
  assert.ok(ours.length >= 4, 'the analysis built its four stages');
  const listed = (await listStageLensImages(docker)).filter((i) => i.dockerfile === join(dir, 'Dockerfile'));
  assert.deepEqual(new Set(listed.map((i) => i.id)), new Set(ours), 'cleanup lists exactly the stage images of this Dockerfile');
  // A tag in our namespace on an image WITHOUT our label is not ours.
  const lookAlike = `stagelens/not-ours-${n}:x`;
  await docker.getImage(refTags[0]!).tag({ repo: `stagelens/not-ours-${n}`, tag: 'x' });
  const { removed, failed } = await cleanUpImages(docker, { dockerfile: join(dir, 'Dockerfile') });
  assert.deepEqual(failed, []);
  assert.deepEqual(new Set(removed), new Set(ours));
  assert.deepEqual((await listStageLensImages(docker)).filter((i) => i.dockerfile === join(dir, 'Dockerfile')), []);
  for (const t of [...refTags, lookAlike, BUSYBOX]) await docker.getImage(t).inspect(); // throws if removed
});

// Whatever failed above, leave the engine as it was: the reference images, the look-alike tag
// and this run's stage images go (the main engine is shared by every suite).
after(async () => {
  if (unavailable || !dir) return;
  const { connection } = await engine();
  for (const t of [`stagelens/not-ours-${n}:x`, ...refTags]) { try { await connection.docker.getImage(t).remove(); } catch { /* not there */ } }
  try { await cleanUpImages(connection.docker, { dockerfile: join(dir, 'Dockerfile') }); } catch { /* reported by the cleanup test */ }
});
