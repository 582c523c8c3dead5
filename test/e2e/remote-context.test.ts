// Issue 11, remote engines in the real VS Code (code-server + Chromium): with a private
// DOCKER_CONFIG holding Docker contexts for a second host (test/harness/remote.ts: a network
// namespace with its own dockerd, reached over ssh and mutual TLS), **Select Docker Endpoint…**
// lists the contexts; picking the ssh one makes the next analysis run on that remote engine,
// through the system ssh client. The lens shows the remote engine's own size for the stage.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDockerfile } from '../../src/core/dockerfile/parse';
import { formatBytes } from '../../src/core/report';
import { remoteSkipReason, startRemoteHost, type RemoteHost } from '../harness/remote';
import { codeServerBin, ANALYZED_FROM_LENS, step, Session, T } from './harness';
import { stageImageSize } from './engine-images';

const id = randomBytes(6).toString('hex');
// Line 1 is a comment: code-server misplaces a lens on a FROM in line 1.
const TEXT = [
  '# Stage Lens e2e: analyze on a remote engine through a Docker context',
  'FROM stagelens-fixture/busybox:latest AS build',
  `RUN echo ${id} > /id && dd if=/dev/zero of=/blob bs=1024 count=3072`,
  'FROM stagelens-fixture/busybox:latest',
  'COPY --from=build /blob /blob',
  '',
].join('\n');

const skip = remoteSkipReason() ?? (existsSync(codeServerBin) ? null : `code-server is not installed at ${codeServerBin} (scripts/e2e-setup.sh)`);

describe('Select Docker Endpoint… lists Docker contexts and analyzes through one (code-server + Chromium)', { skip: skip ?? false, timeout: 8 * 60_000 }, () => {
  let session: Session | undefined;
  let h: RemoteHost | undefined;
  let scratch = '';
  const saved = { STAGELENS_SSH_COMMAND: process.env.STAGELENS_SSH_COMMAND, DOCKER_CONFIG: process.env.DOCKER_CONFIG, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK, DOCKER_CONTEXT: process.env.DOCKER_CONTEXT };
  const s = (): Session => { if (!session) throw new Error('the VS Code session did not start'); return session; };

  before(async () => {
    h = await startRemoteHost();
    // The extension host inherits this environment: the private DOCKER_CONFIG with the contexts,
    // the ssh wrapper that reads the private ~/.ssh/config, and no agent of the machine's user.
    // code-server's extension host takes PATH from a login shell, so the PATH wrapper the engine
    // test uses would be lost; STAGELENS_SSH_COMMAND (kept, like DOCKER_CONFIG) names it instead.
    process.env.STAGELENS_SSH_COMMAND = join(h.binDir, 'ssh');
    process.env.DOCKER_CONFIG = h.dockerConfig;
    delete process.env.SSH_AUTH_SOCK;
    delete process.env.DOCKER_CONTEXT;
    // No current context: "Automatic" would be the default socket, so only the pick reaches the remote.
    writeFileSync(join(h.dockerConfig, 'config.json'), '{}');
    scratch = mkdtempSync(join(tmpdir(), 'stagelens-e2e-remote-'));
    const ws = join(scratch, 'workspace');
    mkdirSync(ws);
    writeFileSync(join(ws, 'Dockerfile'), TEXT);
    // undefined drops the harness's default endpoint (the local test engine) from the settings files.
    session = await Session.start({ workspace: ws, settings: { 'files.autoSave': 'off', 'stageLens.build.network': 'none', 'stageLens.engine.endpoint': undefined } });
  });

  after(async () => {
    await session?.close();
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
    await h?.stop();
    if (scratch && !process.env.STAGELENS_E2E_KEEP) rmSync(scratch, { recursive: true, force: true });
  });

  step(() => session, 'the picker lists both contexts; choosing the ssh one analyzes on the remote engine', 6 * 60_000, async () => {
    await s().openFile('Dockerfile');
    await s().waitForLens(/Analyze stages/, T.activation);
    await s().runCommand('Stage Lens: Select Docker Endpoint…', { opensPicker: true });
    const rows = s().page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ timeout: T.ui });
    await sleep(300);
    const labels = (await rows.allTextContents()).map((t) => t.replace(/\s+/g, ' '));
    assert.ok(labels.some((l) => l.includes(`context: ${h!.ctxTls}`) && l.includes(h!.tcpUrl)), `the TLS context is listed: ${JSON.stringify(labels)}`);
    assert.ok(labels.some((l) => l.includes(`context: ${h!.ctxSsh}`) && l.includes(h!.sshUrl)), `the ssh context is listed: ${JSON.stringify(labels)}`);
    await rows.filter({ hasText: `context: ${h!.ctxSsh}` }).first().click();
    await s().page.locator('.notifications-toasts', { hasText: `endpoint set to ${h!.sshUrl}` }).first().waitFor({ timeout: T.ui });

    await s().runCommand('Stage Lens: Analyze Stages');
    await s().waitForLens(ANALYZED_FROM_LENS, 4 * 60_000);
    const errors = await s().errorToasts();
    assert.deepEqual(errors.filter((e) => /Stage Lens/.test(e)), [], 'no error toast');
    // The remote engine (asked on its own socket, not over the link) holds the stage images, and
    // the final stage's lens shows its size.
    const stages = parseDockerfile(TEXT).stages;
    const file = join(s().workspace, 'Dockerfile');
    const finalSize = await stageImageSize(h!.localSocket, file, stages[1]!);
    assert.ok(finalSize >= 3 * 1024 * 1024, `the final stage carries the 3 MiB blob (${finalSize})`);
    const placed = await s().lensLines();
    const onFinal = placed.find((p) => p.line === 'FROM stagelens-fixture/busybox:latest' && ANALYZED_FROM_LENS.test(p.lens));
    assert.ok(onFinal, `the final stage's FROM has its measured lens: ${JSON.stringify(placed)}`);
    assert.ok(onFinal.lens.includes(formatBytes(finalSize)), `the lens shows the remote engine's size ${formatBytes(finalSize)}: ${onFinal.lens}`);
    await s().screenshot('remote-context');
  });
});
