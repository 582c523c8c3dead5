#!/usr/bin/env node
// Starts (or reuses) Stage Lens's PRIVATE Docker engine for tests, benchmarks and the quick
// start: its own data-root, exec-root and socket, no bridge and no iptables rules, so it
// never touches a user's own engine or the host's network setup.
//
//   node scripts/engine.mjs start   # idempotent; prints DOCKER_HOST=unix://…
//   node scripts/engine.mjs stop
//   node scripts/engine.mjs env     # prints DOCKER_HOST=… if it is running, exit 1 if not
//
// Locations (override with env): STAGELENS_ENGINE_DIR (socket, pid, log; default
// /run/stagelens-engine) and STAGELENS_ENGINE_ROOT (images; default
// /var/lib/stagelens-engine, kept between runs so fixture images are cached).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

const dir = process.env.STAGELENS_ENGINE_DIR ?? '/run/stagelens-engine';
const root = process.env.STAGELENS_ENGINE_ROOT ?? '/var/lib/stagelens-engine';
const sock = join(dir, 'docker.sock');
const pidFile = join(dir, 'docker.pid');
const logFile = join(dir, 'dockerd.log');
const host = `unix://${sock}`;

const say = (m) => process.stderr.write(`[engine] ${m}\n`);

function which(cmd) {
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    if (d && existsSync(join(d, cmd))) return join(d, cmd);
  }
  return null;
}

/** Answers whether the engine at the socket replies to /_ping within the timeout. */
function ping(timeoutMs = 1500) {
  return new Promise((resolve) => {
    if (!existsSync(sock)) return resolve(false);
    const s = connect(sock);
    let buf = '';
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n'));
    s.on('data', (d) => { buf += d; if (buf.includes('\r\n\r\n')) done(/^HTTP\/1\.[01] 200/.test(buf) && buf.includes('OK') || /^HTTP\/1\.[01] 200/.test(buf)); });
  });
}

function ensureInstalled() {
  if (which('dockerd')) return;
  if (process.getuid?.() !== 0) {
    throw new Error("No Docker engine binary (dockerd) here. Install it with `sudo apt-get install docker.io`, or start Docker and set DOCKER_HOST.");
  }
  say("dockerd is missing: installing Debian's docker.io …");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker.io'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  // The package's own service may start a system engine; ours stays separate either way.
}

async function start() {
  if (await ping()) { process.stdout.write(`DOCKER_HOST=${host}\n`); return; }
  ensureInstalled();
  if (process.getuid?.() !== 0) {
    throw new Error('Starting the private engine needs root (dockerd manages mounts and namespaces). Run as root, or start Docker yourself and set DOCKER_HOST.');
  }
  mkdirSync(dir, { recursive: true });
  mkdirSync(root, { recursive: true });
  // A stale pid file or socket from a killed run would make dockerd refuse to start.
  for (const f of [pidFile, sock]) rmSync(f, { force: true });
  const out = openSync(logFile, 'a');
  const child = spawn(which('dockerd'), [
    '--data-root', root,
    '--exec-root', join(dir, 'exec'),
    '--pidfile', pidFile,
    '-H', host,
    '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
    '--containerd-namespace', 'stagelens', '--containerd-plugins-namespace', 'stagelens-plugins',
    '--storage-driver', process.env.STAGELENS_ENGINE_STORAGE ?? 'overlay2',
  ], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await ping()) { say(`private engine ready at ${host} (data-root ${root})`); process.stdout.write(`DOCKER_HOST=${host}\n`); return; }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  let tail = '';
  try { tail = readFileSync(logFile, 'utf8').split('\n').slice(-8).join('\n'); } catch { /* no log */ }
  throw new Error(`The private engine did not start within 60 s. Last lines of ${logFile}:\n${tail}`);
}

async function stop() {
  if (!existsSync(pidFile)) { say('not running'); return; }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try { process.kill(pid, 0); } catch { say('stopped'); return; }
    await new Promise((r) => setTimeout(r, 200));
  }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  say('killed');
}

const cmd = process.argv[2] ?? 'start';
try {
  if (cmd === 'start') await start();
  else if (cmd === 'stop') await stop();
  else if (cmd === 'env') { if (await ping()) process.stdout.write(`DOCKER_HOST=${host}\n`); else process.exit(1); }
  else { process.stderr.write('usage: node scripts/engine.mjs start|stop|env\n'); process.exit(2); }
} catch (e) {
  process.stderr.write(`[engine] ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
