// Gives engine tests, e2e tests and benchmarks the endpoint of the PRIVATE test engine.
// STAGELENS_TEST_DOCKER_HOST wins (e.g. a CI-provided engine or a scripts/engines.mjs matrix
// engine); otherwise scripts/engine.mjs starts (or reuses) the private dockerd. A user's default
// engine is never used.
//
// STAGELENS_TEST_FIXTURES=busybox says the engine holds only the busybox fixture (the matrix
// engines): tests that need the debian/python fixtures skip, with fixturesSkip() as the reason.
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

/** The fixture sets the test engine holds: all of them unless STAGELENS_TEST_FIXTURES narrows it. */
function fixtureSets(): string[] | null {
  const v = process.env.STAGELENS_TEST_FIXTURES?.trim();
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : null;
}

/**
 * A skip reason when the test engine lacks the fixture set `kind`, else false — pass it as
 * node:test's `skip` option.
 */
export function fixturesSkip(kind: string): string | false {
  const sets = fixtureSets();
  if (!sets || sets.includes(kind)) return false;
  return `needs the ${kind} fixture images; this engine (${process.env.STAGELENS_TEST_ENGINE ?? process.env.STAGELENS_TEST_DOCKER_HOST}) has only ${sets.join(', ')} (STAGELENS_TEST_FIXTURES)`;
}

/**
 * Makes sure the fixture base images exist in the test engine (fast when they do). `only` is a
 * `scripts/fixtures.mjs --only` list; the default is the seed's images (busybox, Debian, Python),
 * so a test that needs no ecosystem image never waits for their first build. On an engine that
 * STAGELENS_TEST_FIXTURES narrows, only the sets it holds are asked for.
 */
export async function ensureFixtures(only = 'busybox,debian,python'): Promise<string> {
  const host = await testEngineHost();
  const script = join(repoRoot, 'scripts', 'fixtures.mjs');
  const sets = fixtureSets();
  const wanted = sets ? only.split(',').filter((k) => sets.includes(k)).join(',') : only;
  if (wanted && !fixturesDone.has(wanted) && existsSync(script) && !process.env.STAGELENS_FIXTURES_READY) {
    execFileSync(process.execPath, [script, '--host', host, '--only', wanted], { stdio: ['ignore', 'inherit', 'inherit'] });
    fixturesDone.add(wanted);
  }
  return host;
}
