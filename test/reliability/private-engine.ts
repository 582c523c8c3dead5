// A second, independent private engine for the fault tests: they stop and restart it, which
// must never happen to the shared test engine other suites use. Same script as the shared
// one (scripts/engine.mjs), pointed at its own temporary run and data directories.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';

const run = promisify(execFile);
const repo = join(__dirname, '..', '..');

export class PrivateEngine {
  readonly base = mkdtempSync(join(process.env.STAGELENS_RELIABILITY_TMP ?? tmpdir(), 'sl-rel-'));
  readonly dir = join(this.base, 'run');
  readonly root = join(this.base, 'root');
  readonly socket = join(this.dir, 'docker.sock');
  readonly host = `unix://${this.socket}`;
  readonly docker = new Dockerode({ socketPath: this.socket });

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, STAGELENS_ENGINE_DIR: this.dir, STAGELENS_ENGINE_ROOT: this.root };
  }

  async start(): Promise<void> {
    await run(process.execPath, [join(repo, 'scripts', 'engine.mjs'), 'start'], { env: this.env(), timeout: 90_000 });
  }

  /** Imports the busybox-static fixture (tagged busybox:latest too), which builds need offline. */
  async fixtures(): Promise<void> {
    await run(process.execPath, [join(repo, 'scripts', 'fixtures.mjs'), '--host', this.host, '--only', 'busybox'], { env: this.env(), timeout: 180_000 });
  }

  pid(): number | null {
    const f = join(this.dir, 'docker.pid');
    if (!existsSync(f)) return null;
    const n = Number(readFileSync(f, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  }

  /** SIGTERM to dockerd, like `systemctl stop docker` or Docker Desktop quitting. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    const pid = this.pid();
    if (pid) process.kill(pid, signal);
  }

  async waitStopped(timeoutMs = 30_000): Promise<boolean> {
    const pid = this.pid();
    const deadline = Date.now() + timeoutMs;
    while (pid && Date.now() < deadline) {
      try { process.kill(pid, 0); } catch { return true; }
      await new Promise((r) => setTimeout(r, 100));
    }
    return !pid;
  }

  async stop(): Promise<void> {
    await run(process.execPath, [join(repo, 'scripts', 'engine.mjs'), 'stop'], { env: this.env(), timeout: 60_000 }).catch(() => undefined);
  }

  /** Stops the engine and deletes its directories (a failed unmount leaves them for the OS). */
  async dispose(): Promise<void> {
    await this.stop();
    try { rmSync(this.base, { recursive: true, force: true, maxRetries: 3 }); } catch { /* busy mounts: left under tmp */ }
  }
}
