// The engine's size of a rewrite's slim base (issue 15): the unpacked size — the sum of the
// image's history sizes, what the stage sizes use — on every store (inspect `Size` is the
// compressed size on the containerd store), only for images the engine already has.
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import type Dockerode from 'dockerode';
import { localImageSizes } from '../../src/engine/measure';
import { fixturesSkip } from '../harness/engine';
import { BUSYBOX, engine } from './util';

/** What `docker history` adds up, asked of the engine directly. */
async function historySum(docker: Dockerode, ref: string): Promise<number> {
  const h = await docker.getImage(ref).history() as { Size?: number }[];
  return h.reduce((n, e) => n + Math.max(0, e.Size ?? 0), 0);
}

describe('localImageSizes against the test engine', () => {
  let docker: Dockerode;
  before(async () => { docker = (await engine()).connection.docker; });

  it('python:3.12-slim (the seed rewrite\'s base) has the sum of its history sizes', { skip: fixturesSkip('python') }, async () => {
    const sizes = await localImageSizes(docker, ['python:3.12-slim', 'python:3.12-slim']);
    const expected = await historySum(docker, 'python:3.12-slim');
    assert.ok(expected > 50_000_000, `the fixture is a real image (${expected} bytes)`);
    assert.deepEqual(sizes, { 'python:3.12-slim': expected });
  });

  it('the busybox fixture too (every engine of the matrix holds it); on the containerd store not inspect\'s compressed Size', async () => {
    const sizes = await localImageSizes(docker, [BUSYBOX]);
    assert.deepEqual(sizes, { [BUSYBOX]: await historySum(docker, BUSYBOX) });
    if ((await engine()).connection.store === 'containerd') {
      const { Size } = await docker.getImage(BUSYBOX).inspect();
      assert.ok(Size < sizes[BUSYBOX]!, `inspect Size ${Size} is the compressed size, below the unpacked ${sizes[BUSYBOX]}`);
    }
  });

  it('an image the engine does not have is left out and not pulled', async () => {
    const missing = 'stagelens-test/never-pulled:does-not-exist';
    const sizes = await localImageSizes(docker, [missing, BUSYBOX]);
    assert.deepEqual(Object.keys(sizes), [BUSYBOX]);
    await assert.rejects(docker.getImage(missing).inspect(), 'still absent afterwards');
  });
});
