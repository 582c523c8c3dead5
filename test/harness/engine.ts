// Gives engine tests, e2e tests and benchmarks the endpoint of the PRIVATE test engine.
// STAGELENS_TEST_DOCKER_HOST wins (e.g. a CI-provided engine); otherwise scripts/engine.mjs
// starts (or reuses) the private dockerd. A user's default engine is never used.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..');
let hostPromise: Promise<string> | null = null;
const fixturesDone = new Set<string>();

export function testEngineHost(): Promise<string> {
  hostPromise ??= (async () => {
    const given = process.env.STAGELENS_TEST_DOCKER_HOST;
    if (given) return given;
    const out = execFileSync(process.execPath, [join(repoRoot, 'scripts', 'engine.mjs'), 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const m = /DOCKER_HOST=(\S+)/.exec(out);
    if (!m) throw new Error(`scripts/engine.mjs printed no DOCKER_HOST: ${out}`);
    return m[1]!;
  })();
  return hostPromise;
}

/** Makes sure the fixture base images exist in the test engine (fast when they do). `only` is a
 *  `scripts/fixtures.mjs --only` list; the default is the seed's images (busybox, Debian, Python),
 *  so a test that needs no ecosystem image never waits for their first build. */
export async function ensureFixtures(only = 'busybox,debian,python'): Promise<string> {
  const host = await testEngineHost();
  const script = join(repoRoot, 'scripts', 'fixtures.mjs');
  if (!fixturesDone.has(only) && existsSync(script) && !process.env.STAGELENS_FIXTURES_READY) {
    execFileSync(process.execPath, [script, '--host', host, '--only', only], { stdio: ['ignore', 'inherit', 'inherit'] });
    fixturesDone.add(only);
  }
  return host;
}
