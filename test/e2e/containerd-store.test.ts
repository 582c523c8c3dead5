// On Docker's containerd image store (the default of Engine 29 and Docker Desktop), inspect
// `Size` is the compressed content size. The FROM lens must still show the unpacked size (the
// sum of the layers' uncompressed sizes), with the pull size beside it — both checked against
// the engine's own answers, not against anything the extension computed.
// Engine: STAGELENS_E2E_CONTAINERD_HOST, else the matrix's docker28-containerd
// (scripts/engines.mjs); without either the suite is skipped, saying why.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { formatBytes } from '../../src/core/report';
import { dockerFor as dockerForHost } from './engine-images';
import { ANALYZED_FROM_LENS, engineHost, repoRoot, Session, step, T } from './harness';

const BUSYBOX = 'stagelens-fixture/busybox:latest';

function containerdHost(): { host: string | null; why: string } {
  const given = process.env.STAGELENS_E2E_CONTAINERD_HOST;
  if (given) return { host: given, why: '' };
  const script = join(repoRoot, 'scripts', 'engines.mjs');
  if (!existsSync(script)) return { host: null, why: 'no STAGELENS_E2E_CONTAINERD_HOST and no scripts/engines.mjs to start a containerd-store engine' };
  try {
    const out = execFileSync(process.execPath, [script, 'start', 'docker28-containerd'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
    const m = /DOCKER_HOST=(\S+)/.exec(out);
    return m ? { host: m[1]!, why: '' } : { host: null, why: `scripts/engines.mjs printed no DOCKER_HOST: ${out.trim().slice(0, 200)}` };
  } catch (err) {
    return { host: null, why: `docker28-containerd did not start: ${(err as Error).message.split('\n')[0]}` };
  }
}

const target = containerdHost();
if (!target.host) process.stderr.write(`[e2e] containerd-store suite skipped: ${target.why}\n`);

describe('FROM lens on the containerd image store: unpacked size and pull size', { timeout: 12 * 60_000, skip: target.host ? false : target.why }, () => {
  const host = target.host!;
  let session: Session | undefined;
  let workspace = '';
  const s = (): Session => {
    if (!session) throw new Error('the VS Code session did not start');
    return session;
  };

  before(async () => {
    const engine = dockerForHost(host);
    const info = await engine.info() as { DriverStatus?: [string, string][] };
    assert.ok((info.DriverStatus ?? []).some(([k, v]) => k === 'driver-type' && /containerd\.snapshotter/.test(v)), `${host} uses the containerd image store`);
    // The busybox fixture comes from the main test engine when this one lacks it (offline).
    const has = await engine.getImage(BUSYBOX).inspect().then(() => true, () => false);
    if (!has) {
      const main = dockerForHost(await engineHost());
      const tar = await main.getImage(BUSYBOX).get();
      const out = await engine.loadImage(tar);
      await new Promise<void>((resolve, reject) => { out.on('data', () => {}); out.on('end', () => resolve()); out.on('error', reject); });
    }
    workspace = mkdtempSync(join(tmpdir(), 'sl-e2e-containerd-'));
    // 16 MB of zeros: 16 MB unpacked, a few kB compressed, so the two numbers cannot be confused.
    writeFileSync(join(workspace, 'Dockerfile'), [
      `FROM ${BUSYBOX} AS base`,
      `RUN head -c 16000000 /dev/zero > /zeros.bin && echo ${Date.now()} > /nonce`,
      '',
      'FROM base AS final',
      'RUN echo done > /done',
      '',
    ].join('\n'));
    session = await Session.start({ workspace, settings: { 'stageLens.engine.endpoint': host, 'stageLens.build.network': 'none' } });
  });
  after(async () => { await session?.close(); });

  step(() => session, 'the lens above FROM shows the unpacked size and the pull size the engine reports', T.analysis, async () => {
    await s().openFile('Dockerfile');
    await s().runCommand('Stage Lens: Analyze Stages');
    const lens = await s().waitForLens(new RegExp(`^base ${ANALYZED_FROM_LENS.source}`), T.analysis);
    const text = ((await lens.textContent()) ?? '').replace(/\s+/g, ' ').trim();
    const shot = await s().screenshot('containerd-store-from-lens');
    process.stderr.write(`[e2e] FROM lens: "${text}" (screenshot ${shot})\n`);

    // The engine's own numbers for the image Stage Lens tagged for stage `base`.
    const engine = dockerForHost(host);
    const images = await engine.listImages({ filters: JSON.stringify({ label: ['com.stagelens.stage=base', 'com.stagelens.managed=true'] }) } as Docker.ListImagesOptions);
    const id = images.sort((a, b) => b.Created - a.Created)[0]?.Id;
    assert.ok(id, 'the engine holds the stage image');
    const history = await engine.getImage(id).history() as { Size: number }[];
    const unpacked = history.reduce((n, h) => n + Math.max(0, h.Size), 0);
    const withManifests = await new Promise<{ Size: number; Manifests?: { Kind: string; Size: { Content: number } }[] }>((resolve, reject) => {
      engine.modem.dial({ path: `/images/${id}/json?`, method: 'GET', options: { manifests: true }, statusCodes: { 200: true, 404: 'no such image' } } as never,
        (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as never)));
    });
    const pull = withManifests.Manifests?.find((m) => m.Kind === 'image')?.Size.Content;
    assert.ok(typeof pull === 'number', 'the engine reports the image manifest content size');
    assert.ok(unpacked > 16_000_000 && pull < unpacked / 4, `unpacked ${unpacked}, pull ${pull}`);
    assert.notEqual(formatBytes(withManifests.Size), formatBytes(unpacked), 'inspect Size (compressed) differs from the unpacked size here');

    assert.ok(text.startsWith(`base · ${formatBytes(unpacked)} (`), `the lens leads with the unpacked size ${formatBytes(unpacked)}: "${text}"`);
    assert.ok(text.includes(`· pull ${formatBytes(pull)} ·`), `the lens shows the pull size ${formatBytes(pull)}: "${text}"`);
  });
});
