// Every ecosystem's rewrite proves itself on a real engine, the way a user would check it: the
// example's single-stage Dockerfile (examples/{node,go,rust,java}/Dockerfile and the seed's
// Python Dockerfile.single-stage) and `refactorToMultiStage` of it are both built (BuildKit,
// network none: every dependency comes with the example; only runtime packages a rewrite adds
// come from Debian's archive, see networkFor), both images run (network none) and
// must answer the same, the rewrite must run as non-root, carry no compiler and no package
// manager beyond what its runtime base already ships (surface facts, as `stagelens layers`
// reports them), keep the dev-only dependency out, and be smaller. The sizes are printed as
// `ECOSYSTEM-SIZE` lines (the README's table comes from them).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Dockerode from 'dockerode';
import { parseDockerfile } from '../../src/core/dockerfile/parse';
import { refactorToMultiStage } from '../../src/core/refactor';
import { runBuild } from '../../src/engine/build';
import { dockerodeOptionsFor } from '../../src/engine/connection';
import { createBuildContext } from '../../src/engine/context';
import { analyzeImageLayers } from '../../src/engine/layers';
import { ensureFixtures } from '../harness/engine';

const examples = join(__dirname, '..', '..', 'examples');
const tags: string[] = [];
let docker: Dockerode;
const suffix = `${process.pid}-${Date.now()}`;
const sizes: Array<{ eco: string; before: number; after: number; runtime: string }> = [];

before(async () => {
  docker = new Dockerode(dockerodeOptionsFor(await ensureFixtures('python,ecosystems')));
});

after(async () => {
  for (const t of tags) { try { await docker.getImage(t).remove({ force: true }); } catch { /* already gone */ } }
  if (sizes.length) {
    const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
    process.stdout.write(`\n| ecosystem | example | runtime base of the rewrite | single-stage | multi-stage rewrite | smaller by |\n| --- | --- | --- | --- | --- | --- |\n`);
    for (const s of sizes) {
      const ex = s.eco === 'python' ? '`examples/Dockerfile.single-stage`' : `\`examples/${s.eco}/Dockerfile\``;
      process.stdout.write(`| ${s.eco} | ${ex} | \`${s.runtime}\` | ${mb(s.before)} | ${mb(s.after)} | ${(100 * (1 - s.after / s.before)).toFixed(0)} % |\n`);
    }
  }
});

/**
 * The rewrite may install runtime packages the original never installed (Rust: ca-certificates
 * and libssl3 on debian:bookworm-slim). Those come from Debian's archive, which answers inside
 * build containers over host networking only; every other build stays offline.
 */
function networkFor(rewrite: string, original: string): 'host' | 'none' {
  const installs = (t: string): string[] => t.split('\n').filter((l) => /\b(apt-get|apk)\b.*\b(install|add)\b/.test(l)).map((l) => l.trim());
  const had = new Set(installs(original));
  return installs(rewrite).some((l) => !had.has(l)) ? 'host' : 'none';
}

async function build(text: string, contextDir: string, tag: string, target: string, network: 'host' | 'none' = 'none'): Promise<string> {
  const ctx = createBuildContext({ contextDir, dockerfileText: text });
  const logs: string[] = [];
  const r = await runBuild({
    docker, body: ctx.stream, dockerfileName: ctx.dockerfileName, builder: 'buildkit', target, tag,
    labels: { 'stagelens.test': 'ecosystems' }, network, onLog: (l) => { logs.push(l.text); },
  });
  assert.equal(r.error, null, `build of ${tag} failed: ${r.error}\n${logs.join('').split('\n').slice(-30).join('\n')}`);
  tags.push(tag);
  return tag;
}

/** Runs a command in a fresh container without a network; stdout+stderr, frames stripped. */
async function run(image: string, cmd: string[], entrypoint?: string[]): Promise<{ code: number; out: string }> {
  const c = await docker.createContainer({ Image: image, Cmd: cmd, ...(entrypoint ? { Entrypoint: entrypoint } : {}), HostConfig: { NetworkMode: 'none' } });
  try {
    await c.start();
    const res = await c.wait() as { StatusCode: number };
    const raw = await c.logs({ stdout: true, stderr: true });
    let out = ''; let i = 0;
    while (i + 8 <= raw.length) { const n = raw.readUInt32BE(i + 4); out += raw.subarray(i + 8, i + 8 + n).toString('utf8'); i += 8 + n; }
    return { code: res.StatusCode, out };
  } finally {
    await c.remove({ force: true });
  }
}

/** The bytes of a path inside an image (a tar of it, as `docker cp` reads it), or null when absent.
 *  Works for images without a shell: the container is created, never started. */
async function fileBytes(image: string, path: string): Promise<Buffer | null> {
  const c = await docker.createContainer({ Image: image, Cmd: ['none'], HostConfig: { NetworkMode: 'none' } });
  try {
    const stream = await c.getArchive({ path }).catch((e: { statusCode?: number }) => { if (e.statusCode === 404) return null; throw e; });
    if (!stream) return null;
    const chunks: Buffer[] = [];
    for await (const ch of stream as AsyncIterable<Buffer>) chunks.push(ch);
    return Buffer.concat(chunks);
  } finally {
    await c.remove({ force: true });
  }
}

/** The command the image runs by default, with extra arguments appended (exec form only). */
async function defaultCommand(image: string, extra: string[]): Promise<{ cmd: string[]; entrypoint?: string[] }> {
  const cfg = (await docker.getImage(image).inspect()).Config;
  const ep = cfg.Entrypoint as string[] | null | undefined;
  if (ep && ep.length) return { entrypoint: ep, cmd: [...(cfg.Cmd ?? []), ...extra] };
  return { cmd: [...(cfg.Cmd ?? []), ...extra] };
}

interface Case {
  eco: 'python' | 'node' | 'go' | 'rust' | 'java';
  dir: string;
  file: string;
  /** How both images are asked to show they work; default: the image's command + `--self-test`. */
  probe?: string[];
  expect: RegExp;
  /** Checks that the dev-only dependency is absent from the rewrite's runtime image. */
  devOnly: (beforeImage: string, afterImage: string) => Promise<void>;
}

const SELF_TEST = (lang: string): RegExp => new RegExp(`^/ 200 \\{"message":"hello from ${lang}, stage lens"\\}\\n/stats\\?values=2,4,4,4,5,5,7,9 200 \\{"count":8,"mean":5(\\.0)?,"pstdev":2(\\.0)?\\}\\n$`);

const PY_PROBE = [
  'python', '-c',
  'import threading, urllib.request, app\n' +
  'app.ApiHandler.log_message = lambda *a: None  # the access log is not the answer\n' +
  's = app.make_server("127.0.0.1", 0)\n' +
  'threading.Thread(target=s.serve_forever, daemon=True).start()\n' +
  'print(urllib.request.urlopen("http://127.0.0.1:%d/stats?values=2,4,4,4,5,5,7,9" % s.server_address[1]).read().decode())\n',
];

const CASES: Case[] = [
  {
    eco: 'python', dir: examples, file: 'Dockerfile.single-stage', probe: PY_PROBE,
    expect: /^\{"count": 8, "mean": 5\.0, "pstdev": 2\.0\}\n$/,
    devOnly: async (b, a) => {
      const probe = ['python', '-c', 'import importlib.util; print("appcheck", importlib.util.find_spec("appcheck") is not None)'];
      assert.equal((await run(b, probe)).out.trim(), 'appcheck True', 'the single-stage image should have the dev tool');
      assert.equal((await run(a, probe)).out.trim(), 'appcheck False', 'the dev tool reached the runtime');
    },
  },
  {
    eco: 'node', dir: join(examples, 'node'), file: 'Dockerfile', expect: SELF_TEST('node'),
    devOnly: async (b, a) => {
      assert.ok(await fileBytes(b, '/app/node_modules/@stagelens-example/minibuild/package.json'), 'the single-stage image should have the devDependency');
      assert.equal(await fileBytes(a, '/app/node_modules/@stagelens-example/minibuild'), null, 'the devDependency reached the runtime');
      assert.ok(await fileBytes(a, '/app/node_modules/@stagelens-example/greet/index.js'), 'the runtime dependency is missing');
    },
  },
  {
    eco: 'go', dir: join(examples, 'go'), file: 'Dockerfile', expect: SELF_TEST('go'),
    devOnly: async (_b, a) => {
      // Go binaries keep their package paths (function table): the test helper must not be there.
      const bin = await fileBytes(a, '/usr/local/bin/hello');
      assert.ok(bin, 'no binary at /usr/local/bin/hello');
      assert.ok(bin.includes('example.com/stagelens/hello/internal/greet'), 'the runtime package is not in the binary');
      assert.ok(!bin.includes('example.com/stagelens/hello/internal/httpcheck'), 'the test-only package is in the binary');
      assert.equal(await fileBytes(a, '/src/internal'), null, 'sources reached the runtime');
    },
  },
  {
    eco: 'rust', dir: join(examples, 'rust'), file: 'Dockerfile', expect: SELF_TEST('rust'),
    devOnly: async (b, a) => {
      // The release binary is stripped; what must stay behind are the crates and target/.
      assert.ok(await fileBytes(b, '/app/target/debug'), 'the single-stage image should have the test build');
      for (const p of ['/app/crates', '/app/src', '/app/target/debug']) assert.equal(await fileBytes(a, p), null, `${p} reached the runtime`);
    },
  },
  {
    eco: 'java', dir: join(examples, 'java'), file: 'Dockerfile', expect: SELF_TEST('java'),
    devOnly: async (_b, a) => {
      // A jar's central directory names its entries in plain text.
      const jar = await fileBytes(a, '/app/build/app.jar');
      assert.ok(jar, 'no jar at /app/build/app.jar');
      assert.ok(jar.includes('example/greet/Greet.class'), 'the runtime library is not in the jar');
      assert.ok(!jar.includes('example/httpcheck/'), 'the test-only library is in the jar');
      assert.equal(await fileBytes(a, '/app/libs'), null, 'sources reached the runtime');
    },
  },
];

const sortedPaths = (l: Array<{ path: string }>): string[] => l.map((p) => p.path).sort();

for (const c of CASES) {
  test(`${c.eco}: the single-stage example and its rewrite build, answer the same, and the rewrite is smaller, non-root and without toolchain`, { timeout: 1_500_000 }, async (t) => {
    const text = readFileSync(join(c.dir, c.file), 'utf8');
    const r = refactorToMultiStage(text);
    assert.equal(r.ecosystem, c.eco);
    assert.equal(r.changed, true, r.notes.join('\n'));
    assert.ok(!r.notes.some((n) => /Cannot split/.test(n)), r.notes.join('\n'));
    const df = parseDockerfile(r.text);
    assert.deepEqual(df.problems, []);
    const runtime = df.stages[df.stages.length - 1]!;
    assert.ok(runtime.name, 'the runtime stage has a name');

    const b = await build(text, c.dir, `stagelens-test/eco-${c.eco}-before:${suffix}`, '');
    const a = await build(r.text, c.dir, `stagelens-test/eco-${c.eco}-after:${suffix}`, runtime.name, networkFor(r.text, text));

    // Same answer from both, without a network.
    const cmdB = c.probe ? { cmd: c.probe } : await defaultCommand(b, ['--self-test']);
    const cmdA = c.probe ? { cmd: c.probe } : await defaultCommand(a, ['--self-test']);
    const outB = await run(b, cmdB.cmd, cmdB.entrypoint);
    const outA = await run(a, cmdA.cmd, cmdA.entrypoint);
    assert.equal(outB.code, 0, `single-stage image failed: ${outB.out}`);
    assert.match(outB.out, c.expect);
    assert.equal(outA.code, 0, `rewritten image failed: ${outA.out}`);
    assert.equal(outA.out, outB.out);

    // Surface facts of the final images (what `stagelens layers` shows).
    const [la, lb, lbase] = await Promise.all([
      analyzeImageLayers(docker, a), analyzeImageLayers(docker, b), analyzeImageLayers(docker, runtime.resolvedBaseImage),
    ]);
    const sa = la.report.surface; const sb = lb.report.surface; const sbase = lbase.report.surface;
    assert.equal(sb.runsAsRoot, true, 'the single-stage example is meant to run as root');
    assert.equal(sa.runsAsRoot, false, `the rewrite runs as root (User ${JSON.stringify(sa.user)})`);
    assert.ok(sb.compilers.length > 0, 'the single-stage image should carry its toolchain (else this check proves nothing)');
    assert.deepEqual(sortedPaths(sa.compilers), [], 'a compiler or build tool reached the runtime');
    assert.deepEqual(sortedPaths(sa.packageManagers), sortedPaths(sbase.packageManagers), `package managers beyond ${runtime.resolvedBaseImage}'s own reached the runtime`);
    await c.devOnly(b, a);

    // The runtime receives only built output: every COPY from the context stays in the builder
    // for compiled languages (Node and Python copy their built tree / app file by design).
    if (['go', 'rust', 'java'].includes(c.eco)) {
      const fromContext = runtime.instructions.filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !i.flags.some((f) => f.name === 'from'));
      assert.deepEqual(fromContext.map((i) => i.text), [], 'the runtime stage copies sources from the build context');
    }

    const before = lb.report.finalBytes; const afterBytes = la.report.finalBytes;
    const imgB = await docker.getImage(b).inspect(); const imgA = await docker.getImage(a).inspect();
    sizes.push({ eco: c.eco, before: imgB.Size, after: imgA.Size, runtime: runtime.resolvedBaseImage });
    process.stdout.write(`ECOSYSTEM-SIZE ${c.eco} before=${imgB.Size} after=${imgA.Size} runtime=${runtime.resolvedBaseImage}\n`);
    t.diagnostic(`${c.eco}: ${imgB.Size} → ${imgA.Size} bytes (layers: ${before} → ${afterBytes})`);
    assert.ok(imgA.Size < imgB.Size, `the rewrite is not smaller: ${imgA.Size} >= ${imgB.Size}`);
  });
}
