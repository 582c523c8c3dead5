// Remote engines for real: a second host in a network namespace (test/harness/remote.ts) runs its
// own dockerd, reached over tcp:// with mutual TLS, over ssh:// through the system OpenSSH client
// and `docker system dial-stdio`, and through a Docker context. On each transport: a multi-stage
// analysis with sizes and line mapping, cancelling mid-build, the link dropping mid-build, and the
// refusals (wrong certificate, unknown host key) with their fix. Context bytes and time over the
// link are printed (bench/BENCHMARKS.md "Remote engines").
//
// Skips, saying why, when the machine cannot make network namespaces (not root, no `ip netns`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { analyzeStages, stageImageRepo } from '../../src/engine/analyze';
import { cleanUpImages } from '../../src/engine/cleanup';
import { connectEngine, EngineUnreachableError, type EngineConnection } from '../../src/engine/connection';
import type { AnalysisReport } from '../../src/core/report';
import { remoteSkipReason, startRemoteHost, REMOTE_IP, SSH_ALIAS_UNKNOWN, SSH_ALIAS_WRONG_KEY, SSH_PORT, TLS_PORT, type RemoteHost } from '../harness/remote';
import { BUSYBOX, contextWith, nonce } from './util';

const MiB8 = 8 * 1024 * 1024;
const skip = remoteSkipReason();

const MULTI = (n: string): string => [
  `FROM ${BUSYBOX} AS builder`, //                          1
  `ENV NONCE=${n}`, //                                      2
  'RUN dd if=/dev/zero of=/big bs=1M count=8 2>/dev/null', // 3
  'WORKDIR /app', //                                        4
  'COPY payload.bin .', //                                  5
  '', //                                                    6
  `FROM ${BUSYBOX}`, //                                     7
  'COPY --from=builder /app/payload.bin /payload.bin', //   8
  'CMD ["ls", "-l", "/payload.bin"]', //                    9
  '',
].join('\n');

// 2 MiB of incompressible context, so the bytes over the link are the context's, not noise.
const payload = (): Buffer => { const b = Buffer.alloc(2 * 1024 * 1024); for (let i = 0; i < b.length; i += 4) b.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i); return b; };

describe('remote engines (network namespace, private dockerd, mTLS and ssh)', { skip: skip ?? false, timeout: 900_000 }, () => {
  let h: RemoteHost;
  let local: EngineConnection;
  const saved = { PATH: process.env.PATH, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
  const measured: string[] = [];

  before(async () => {
    const t0 = Date.now();
    h = await startRemoteHost();
    // The ssh wrapper reads the private ~/.ssh/config; no agent of the machine's user is used.
    process.env.PATH = `${h.binDir}:${process.env.PATH}`;
    delete process.env.SSH_AUTH_SOCK;
    // The remote engine's own socket, for checks that must not depend on the link.
    local = await connectEngine({ explicit: h.localSocket, timeoutMs: 15_000 });
    process.stderr.write(`[remote] second host up in ${Date.now() - t0} ms\n`);
  });

  after(async () => {
    process.env.PATH = saved.PATH;
    if (saved.SSH_AUTH_SOCK !== undefined) process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK;
    if (measured.length) process.stderr.write(`[remote] measurements:\n${measured.map((m) => `  ${m}`).join('\n')}\n`);
    await h?.stop();
  });

  const transports: { name: string; connect: (timeoutMs?: number) => Promise<EngineConnection> }[] = [
    { name: 'tcp+mTLS', connect: (timeoutMs = 15_000) => connectEngine({ env: { DOCKER_HOST: h.tcpUrl, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: h.tlsDir }, dockerConfigDir: h.dockerConfig, timeoutMs }) },
    { name: 'ssh', connect: (timeoutMs = 15_000) => connectEngine({ env: { DOCKER_HOST: h.sshUrl }, dockerConfigDir: h.dockerConfig, timeoutMs }) },
    // The current context of the private DOCKER_CONFIG (config.json) names the TLS endpoint.
    { name: 'context (current, tls)', connect: (timeoutMs = 15_000) => connectEngine({ env: {}, dockerConfigDir: h.dockerConfig, timeoutMs }) },
    { name: 'context (DOCKER_CONTEXT, ssh)', connect: (timeoutMs = 15_000) => connectEngine({ env: { DOCKER_CONTEXT: h.ctxSsh }, dockerConfigDir: h.dockerConfig, timeoutMs }) },
  ];

  async function tagsOf(repo: string): Promise<string[]> {
    const imgs = await local.docker.listImages();
    return imgs.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(`${repo}:`));
  }

  for (const tr of transports) {
    test(`${tr.name}: a multi-stage analysis measures sizes like the engine and maps layers to lines`, { timeout: 240_000 }, async () => {
      const t0 = Date.now();
      const connection = await tr.connect();
      const connectMs = Date.now() - t0;
      assert.equal(connection.buildkit, true);
      const dir = contextWith({ 'Dockerfile': MULTI(nonce()), 'payload.bin': payload() });
      const before = h.linkBytes();
      const t1 = Date.now();
      const report: AnalysisReport = await analyzeStages({ dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, builder: 'buildkit', network: 'none' });
      const ms = Date.now() - t1;
      const link = h.linkBytes();
      try {
        assert.equal(report.stages.length, 2);
        // The BuildKit session (POST /session upgraded to h2c) works through this transport too.
        assert.equal(report.engine.contextTransport, 'session');
        for (const s of report.stages) assert.equal(s.error, null, `stage ${s.index}: ${s.error?.message}`);
        for (const s of report.stages) {
          // Measured through the link, checked on the remote engine's own socket.
          const info = await local.docker.getImage(s.imageId!).inspect();
          assert.equal(s.sizeBytes, info.Size, `stage ${s.index} size`);
          assert.equal((await local.docker.getImage(s.tag!).inspect()).Id, s.imageId);
        }
        const dd = report.stages[0]!.layers.find((l) => l.line === 3);
        assert.ok(dd && Math.abs(dd.sizeBytes - MiB8) / MiB8 < 0.02, `the dd layer maps to line 3 (${dd?.sizeBytes})`);
        const copy = report.stages[1]!.layers.find((l) => l.line === 8);
        assert.ok(copy && copy.sizeBytes >= 2 * 1024 * 1024, 'the COPY --from layer maps to line 8');
        const sent = link.tx - before.tx;
        // The 2 MiB context crossed the link (once per analysis when the session syncs it).
        assert.ok(sent >= 2 * 1024 * 1024, `sent ${sent} bytes over the link`);
        measured.push(`${tr.name}: connect ${connectMs} ms; 2-stage analysis ${ms} ms; link tx ${sent} B, rx ${link.rx - before.rx} B; context bytes reported ${report.contextBytes ?? 'n/a'} (${report.engine.contextTransport})`);
      } finally {
        await cleanUpImages(local.docker, { dockerfile: join(dir, 'Dockerfile') });
      }
    });
  }

  for (const tr of transports.slice(0, 2)) {
    test(`${tr.name}: cancelling mid-build returns promptly and tags nothing`, { timeout: 120_000 }, async () => {
      const connection = await tr.connect();
      const n = nonce();
      const dir = contextWith({ Dockerfile: `FROM ${BUSYBOX} AS slow\nRUN echo ${n} && sleep 30\nFROM slow\nRUN echo after\n` });
      const ctl = new AbortController();
      let abortedAt = 0;
      const report = await analyzeStages({
        dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, builder: 'buildkit', network: 'none', signal: ctl.signal,
        onProgress: (e) => { if (e.type === 'vertex' && e.line === 2 && e.started !== null && !abortedAt) { abortedAt = Date.now() + 1000; setTimeout(() => ctl.abort(), 1000); } },
      });
      const took = Date.now() - abortedAt;
      assert.ok(abortedAt > 0, 'the sleep step started');
      assert.ok(took < 5000, `returned ${took} ms after the abort`);
      assert.equal(report.cancelled, true);
      assert.deepEqual(report.stages.map((s) => s.imageId), [null, null]);
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(await tagsOf(stageImageRepo(report.dockerfileHash!)), []);
    });

    test(`${tr.name}: the link dropping mid-build fails the stage, tags nothing, and the next analysis works`, { timeout: 180_000 }, async () => {
      const connection = await tr.connect();
      const n = nonce();
      const dir = contextWith({ Dockerfile: `FROM ${BUSYBOX}\nRUN echo ${n} && sleep 40\n` });
      let downAt = 0;
      let report: AnalysisReport;
      try {
        report = await analyzeStages({
          dockerfilePath: join(dir, 'Dockerfile'), contextDir: dir, connection, builder: 'buildkit', network: 'none',
          onProgress: (e) => {
            if (e.type === 'vertex' && e.line === 2 && e.started !== null && !downAt) {
              downAt = Date.now();
              h.setLink(false);
              // With TCP, a silent link is only noticed when the kernel gives up retransmitting
              // (minutes); `ss -K` stands for that moment by aborting this side's sockets to the engine.
              if (tr.name.startsWith('tcp')) setTimeout(() => { try { execFileSync('ss', ['-K', 'dst', REMOTE_IP, 'dport', '=', String(TLS_PORT)], { stdio: 'ignore' }); } catch { /* none */ } }, 1000);
            }
          },
        });
      } finally {
        h.setLink(true);
      }
      const took = Date.now() - downAt;
      assert.ok(downAt > 0, 'the sleep step started');
      assert.ok(took < 45_000, `the drop was noticed after ${took} ms`);
      const s = report.stages[0]!;
      assert.equal(s.imageId, null);
      assert.ok(s.error, 'the stage reports an error');
      assert.match(s.error!.message, /connection|lost|ssh|reset|closed|socket/i, s.error!.message);
      measured.push(`${tr.name}: link drop noticed after ${took} ms: "${s.error!.message.slice(0, 140)}"`);
      // BuildKit cancels a build whose client went away; nothing of it is tagged.
      await new Promise((r) => setTimeout(r, 2000));
      assert.deepEqual(await tagsOf(stageImageRepo(report.dockerfileHash!)), []);
      // And once the link is back the same transport analyzes again.
      const again = await tr.connect();
      const dir2 = contextWith({ Dockerfile: `FROM ${BUSYBOX}\nRUN echo ${nonce()} > /n\n` });
      const r2 = await analyzeStages({ dockerfilePath: join(dir2, 'Dockerfile'), contextDir: dir2, connection: again, builder: 'buildkit', network: 'none' });
      assert.equal(r2.stages[0]!.error, null, r2.stages[0]!.error?.message);
      await cleanUpImages(local.docker, { dockerfile: join(dir2, 'Dockerfile') });
    });
  }

  test('tcp+mTLS: a server certificate from an unknown CA, or a client certificate the engine does not trust, is refused with the fix', { timeout: 60_000 }, async () => {
    await assert.rejects(connectEngine({ env: { DOCKER_HOST: h.tcpUrl, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: h.wrongTlsDir }, timeoutMs: 10_000 }), (e: Error) => {
      assert.ok(e instanceof EngineUnreachableError);
      assert.match(e.message, /not signed by the CA/);
      assert.match(e.message, /ca\.pem/);
      return true;
    });
    await assert.rejects(connectEngine({ env: { DOCKER_HOST: h.tcpUrl, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: h.badClientTlsDir }, timeoutMs: 10_000 }), (e: Error) => {
      assert.ok(e instanceof EngineUnreachableError);
      assert.match(e.message, /refused Stage Lens's client certificate/);
      assert.match(e.message, /signed by the engine's CA/);
      return true;
    });
  });

  test('ssh: an unknown host key is refused at once (no prompt, no hang) with the ssh-keyscan fix', { timeout: 60_000 }, async () => {
    const t0 = Date.now();
    await assert.rejects(connectEngine({ env: { DOCKER_HOST: `ssh://${SSH_ALIAS_UNKNOWN}` }, timeoutMs: 15_000 }), (e: Error) => {
      assert.ok(e instanceof EngineUnreachableError);
      assert.match(e.message, /host key .* not in known_hosts/);
      assert.match(e.message, /ssh-keyscan .*>> ~\/\.ssh\/known_hosts/);
      return true;
    });
    assert.ok(Date.now() - t0 < 10_000, `refused after ${Date.now() - t0} ms`);
    // The same host by user, address and port in the URL (its key is recorded): it connects.
    const byAddress = await connectEngine({ env: { DOCKER_HOST: `ssh://root@${REMOTE_IP}:${SSH_PORT}` }, timeoutMs: 15_000 });
    assert.match(byAddress.version, /\d+\.\d+/);
  });

  test('ssh: a key the remote does not authorize is refused with the fix', { timeout: 60_000 }, async () => {
    await assert.rejects(connectEngine({ env: { DOCKER_HOST: `ssh://${SSH_ALIAS_WRONG_KEY}` }, timeoutMs: 15_000 }), (e: Error) => {
      assert.ok(e instanceof EngineUnreachableError);
      assert.match(e.message, /refused every key offered \(.*Permission denied/);
      assert.match(e.message, /authorized_keys/);
      return true;
    });
  });

  test('ssh: no ssh program is a clear error', { timeout: 30_000 }, async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(connectEngine({ env: { DOCKER_HOST: h.sshUrl }, timeoutMs: 10_000 }), /no `ssh` program here.*openssh-client/);
    } finally { process.env.PATH = path; }
  });
});
