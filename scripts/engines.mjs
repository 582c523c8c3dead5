#!/usr/bin/env node
// The engine MATRIX for tests: the engines users run today, each started PRIVATELY beside the
// main test engine (own socket, data-root, exec-root, pidfile and containerd namespace, no
// bridge, no iptables rules), so none of them ever touches a user's engine, the host's network
// or the shared /run/stagelens-engine one.
//
//   node scripts/engines.mjs list               # names and what they are
//   node scripts/engines.mjs fetch [NAME…]      # download + unpack what they need (cached)
//   node scripts/engines.mjs start NAME         # idempotent; prints DOCKER_HOST=unix://…
//   node scripts/engines.mjs env NAME           # DOCKER_HOST=… if running, exit 1 if not
//   node scripts/engines.mjs stop NAME|all
//   node scripts/engines.mjs versions [--json]  # product, version, API, store of running ones
//   node scripts/engines.mjs buildx-config SUITE  # DOCKER_CONFIG with that suite's buildx plugin
//
// Newer Docker comes from Debian's archive as .debs fetched with a PRIVATE apt configuration
// (own sources, lists and cache; the system's apt state is never changed) and unpacked with
// `dpkg -x`: never installed. The daemon runs them with Debian 12's runc, because trixie's and
// sid's runc need glibc 2.38 (Debian 12 has 2.36). Debian unstable moves: the engine is named
// after the Docker major it served when this was written, and `versions` prints what it runs.
//
// Locations (env overrides): downloads and unpacked trees under
// ${STAGELENS_CACHE:-/var/cache/stagelens}/engines/; sockets, pids and logs under
// ${STAGELENS_MATRIX_RUN:-/run/stagelens-matrix}/NAME/; images under
// ${STAGELENS_MATRIX_ROOT:-/var/lib/stagelens-matrix}/NAME/ (kept between runs, so fixture images
// stay cached).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cache = join(process.env.STAGELENS_CACHE ?? '/var/cache/stagelens', 'engines');
const runBase = process.env.STAGELENS_MATRIX_RUN ?? '/run/stagelens-matrix';
const rootBase = process.env.STAGELENS_MATRIX_ROOT ?? '/var/lib/stagelens-matrix';
const say = (m) => process.stderr.write(`[engines] ${m}\n`);
class Fail extends Error {}

/** Debian suites we unpack Docker from, and what each must provide. */
const SUITES = {
  // docker-buildx too: the tests' reference builds need a BuildKit client, and Debian 12's docker
  // CLI refuses DOCKER_BUILDKIT=1 without the buildx plugin.
  trixie: { pkgs: ['docker.io', 'containerd', 'docker-buildx'] },
  sid: { pkgs: ['docker.io', 'containerd', 'docker-buildx'] },
};

/**
 * The matrix. `kind` says how it starts; `suite` which unpacked tree it runs from.
 * docker20 is Debian 12's own docker.io, started by scripts/engine.mjs with private locations.
 */
const ENGINES = {
  'docker20': { kind: 'docker20', about: "Debian 12 docker.io (Docker 20.10, overlay2) — today's main engine, private instance" },
  'docker26-overlay2': { kind: 'dockerd', suite: 'trixie', snapshotter: false, about: 'Debian 13 docker.io + containerd 1.7, overlay2 graph driver' },
  'docker26-containerd': { kind: 'dockerd', suite: 'trixie', snapshotter: true, about: 'Debian 13 docker.io + containerd 1.7, containerd image store' },
  'docker28-containerd': { kind: 'dockerd', suite: 'sid', snapshotter: true, about: 'Debian unstable docker.io + containerd 2.x, containerd image store (as Engine 29 defaults); docker-buildx CLI plugin' },
  'podman43': { kind: 'podman', about: 'Debian 12 podman 4.3 (`podman system service`, Docker-compatible API)' },
};

const runDir = (name) => join(runBase, name);
const sockOf = (name) => join(runDir(name), name === 'podman43' ? 'podman.sock' : 'docker.sock');
const hostOf = (name) => `unix://${sockOf(name)}`;
const pidFileOf = (name) => join(runDir(name), 'engine.pid');
const logOf = (name) => join(runDir(name), 'engine.log');
const treeOf = (suite) => join(cache, suite, 'root');

function which(cmd, path = process.env.PATH ?? '') {
  for (const d of path.split(':').concat(['/usr/sbin', '/usr/bin', '/sbin', '/bin'])) {
    if (d && existsSync(join(d, cmd))) return join(d, cmd);
  }
  return null;
}

function needRoot(what) {
  if (process.getuid?.() !== 0) throw new Fail(`${what} needs root (engines manage mounts and namespaces). Run as root.`);
}

function aptGetInstall(pkgs) {
  needRoot(`installing ${pkgs.join(' ')}`);
  say(`installing Debian's ${pkgs.join(' ')} …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
}

// ---- API calls over the unix socket (no dockerode here: this script runs before npm ci) ----

/** GET path on the engine's socket; resolves { status, body } or null when nothing answers. */
function get(sock, path, timeoutMs = 3000) {
  return new Promise((resolve) => {
    if (!existsSync(sock)) return resolve(null);
    const req = request({ socketPath: sock, path, method: 'GET', timeout: timeoutMs, headers: { Host: 'engine' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => { req.destroy(); resolve(null); });
    req.on('error', () => resolve(null));
    req.end();
  });
}

async function ping(name) {
  const r = await get(sockOf(name), '/_ping', 1500);
  return r?.status === 200;
}

/** Product, version, API version and image store of the engine at `sock`. */
async function describe(sock) {
  const v = await get(sock, '/version');
  const i = await get(sock, '/info');
  if (v?.status !== 200 || i?.status !== 200) return null;
  const ver = JSON.parse(v.body);
  const info = JSON.parse(i.body);
  const podman = (ver.Components ?? []).find((c) => /podman/i.test(c.Name ?? ''));
  const driverType = (info.DriverStatus ?? []).find(([k]) => k === 'driver-type')?.[1] ?? null;
  const containerd = (ver.Components ?? []).find((c) => c.Name === 'containerd')?.Version ?? null;
  return {
    product: podman ? 'Podman' : 'Docker',
    version: podman?.Version ?? ver.Version,
    api: ver.ApiVersion,
    minApi: ver.MinAPIVersion ?? null,
    // The containerd image store reports a snapshotter as its driver; graph drivers are stores too.
    store: driverType === 'io.containerd.snapshotter.v1' ? `containerd (${info.Driver})` : info.Driver,
    containerd,
    os: info.OperatingSystem ?? null,
  };
}

// ---- fetching Docker from Debian's archive -------------------------------------------------

/** A private apt configuration for `suite`: its own sources, lists, cache and status. */
function aptConfig(suite) {
  const base = join(cache, 'apt', suite);
  const dirs = { etc: join(base, 'etc'), parts: join(base, 'etc', 'sources.list.d'), lists: join(base, 'lists'), cache: join(base, 'cache'), state: join(base, 'state') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.lists, 'partial'), { recursive: true });
  mkdirSync(join(dirs.cache, 'archives', 'partial'), { recursive: true });
  writeFileSync(join(dirs.state, 'status'), '');
  // The system's mirror if it names one (CI mirrors), else Debian's own.
  const mirror = process.env.STAGELENS_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
  writeFileSync(join(dirs.parts, `${suite}.sources`), [
    'Types: deb', `URIs: ${mirror}`, `Suites: ${suite}`, 'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg', '',
  ].join('\n'));
  const conf = join(base, 'apt.conf');
  writeFileSync(conf, [
    `Dir::Etc::SourceList "/dev/null";`,
    `Dir::Etc::SourceParts "${dirs.parts}";`,
    `Dir::Etc::Preferences "/dev/null";`,
    `Dir::Etc::PreferencesParts "${join(dirs.etc, 'preferences.d')}";`,
    `Dir::State::Lists "${dirs.lists}";`,
    `Dir::State::status "${join(dirs.state, 'status')}";`,
    `Dir::Cache "${dirs.cache}";`,
    `Dir::Cache::pkgcache "";`,
    `Dir::Cache::srcpkgcache "";`,
    `APT::Architecture "amd64";`,
    `APT::Sandbox::User "root";`,
    `Acquire::Languages "none";`,
    `Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";`,
    `Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled "false";`,
    `Acquire::IndexTargets::deb::CNF::DefaultEnabled "false";`,
    `Acquire::Retries "3";`,
    '',
  ].join('\n'));
  mkdirSync(join(dirs.etc, 'preferences.d'), { recursive: true });
  // APT_CONFIG makes apt read ONLY this file after its built-in defaults (not /etc/apt/apt.conf.d).
  return { env: { ...process.env, APT_CONFIG: conf, DEBIAN_FRONTEND: 'noninteractive' }, base };
}

function runOrFail(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Fail(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Fail(`${cmd} ${args.slice(0, 4).join(' ')} … exited ${r.status}:\n${(r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n')}`);
  return r.stdout;
}

/** The versions a fetched suite holds, or null when it has not been fetched (or is incomplete). */
function fetched(suite) {
  const stamp = join(cache, suite, 'versions.json');
  if (!existsSync(stamp)) return null;
  try {
    const v = JSON.parse(readFileSync(stamp, 'utf8'));
    return SUITES[suite].pkgs.every((p) => v[p]) ? v : null;
  } catch { return null; }
}

/**
 * Runs fn holding ${cache}/<suite>/.lock (a directory: mkdir is atomic), so a background fetch
 * (npm test starts one early) and a test harness fetching the same suite never interleave.
 */
function withSuiteLock(suite, fn) {
  const lock = join(cache, suite, '.lock');
  mkdirSync(join(cache, suite), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try { mkdirSync(lock); writeFileSync(join(lock, 'pid'), `${process.pid}\n`); break; } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let holder = 0;
      try { holder = Number(readFileSync(join(lock, 'pid'), 'utf8')); } catch { /* being written */ }
      if (holder && !pidAlive(holder)) { rmSync(lock, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Fail(`${lock} is held by pid ${holder} for over 10 minutes`);
      spawnSync('sleep', ['1']);
    }
  }
  try { return fn(); } finally { rmSync(lock, { recursive: true, force: true }); }
}

/**
 * Downloads the suite's packages and unpacks them into ${cache}/<suite>/root. Cached: a suite
 * already unpacked is reused (set STAGELENS_ENGINES_REFRESH=1 to take what the archive serves now).
 */
function fetchSuite(suite) {
  const have = fetched(suite);
  if (have && !process.env.STAGELENS_ENGINES_REFRESH) return have;
  return withSuiteLock(suite, () => {
    // Another process may have fetched it while we waited for the lock.
    const now = fetched(suite);
    return now && !process.env.STAGELENS_ENGINES_REFRESH ? now : downloadSuite(suite);
  });
}

function downloadSuite(suite) {
  needRoot(`fetching Docker from Debian ${suite}`);
  const t = Date.now();
  const { env, base } = aptConfig(suite);
  say(`${suite}: apt-get update (private configuration under ${base}) …`);
  // --error-on=any: an unreachable mirror is an error here, not a warning with stale lists.
  runOrFail('apt-get', ['update', '-q', '--error-on=any'], { env });
  const debs = join(cache, suite, 'debs');
  rmSync(debs, { recursive: true, force: true });
  mkdirSync(debs, { recursive: true });
  say(`${suite}: apt-get download ${SUITES[suite].pkgs.join(' ')} …`);
  runOrFail('apt-get', ['download', '-q', ...SUITES[suite].pkgs], { env, cwd: debs });
  const tmp = join(cache, suite, 'root.new');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const versions = {};
  for (const f of readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
    const deb = join(debs, f);
    const [pkg, ver] = runOrFail('dpkg-deb', ['-f', deb, 'Package', 'Version']).trim().split('\n').map((l) => l.replace(/^\w+: /, ''));
    versions[pkg] = ver;
    runOrFail('dpkg', ['-x', deb, tmp]);
  }
  for (const p of SUITES[suite].pkgs) if (!versions[p]) throw new Fail(`${suite}: apt-get download gave no ${p}`);
  rmSync(treeOf(suite), { recursive: true, force: true });
  renameSync(tmp, treeOf(suite));
  writeFileSync(join(cache, suite, 'versions.json'), JSON.stringify(versions, null, 2) + '\n');
  say(`${suite}: unpacked ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return versions;
}

function ensurePodman() {
  if (which('podman')) return;
  aptGetInstall(['podman']);
}

function fetchEngine(name) {
  const e = ENGINES[name];
  if (!e) throw new Fail(`unknown engine ${name} (known: ${Object.keys(ENGINES).join(', ')})`);
  if (e.kind === 'dockerd') {
    const v = fetchSuite(e.suite);
    if (!which('runc')) aptGetInstall(['runc']);
    return v;
  }
  if (e.kind === 'podman') { ensurePodman(); return {}; }
  if (!which('dockerd')) aptGetInstall(['docker.io']);
  return {};
}

// ---- starting and stopping -----------------------------------------------------------------

function pidAlive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function readPid(name) {
  try { return Number(readFileSync(pidFileOf(name), 'utf8').trim()) || null; } catch { return null; }
}

async function waitReady(name, child, what) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (await ping(name)) return;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  let tail = '';
  try { tail = readFileSync(logOf(name), 'utf8').trim().split('\n').slice(-10).join('\n'); } catch { /* no log */ }
  throw new Fail(`${name} (${what}) did not start within 90 s. Last lines of ${logOf(name)}:\n${tail}`);
}

/** The docker CLI config folder of a suite: holds docker-buildx as a CLI plugin. */
function dockerConfigOf(suite) {
  const cfg = join(cache, suite, 'docker-config');
  const plugin = join(treeOf(suite), 'usr', 'libexec', 'docker', 'cli-plugins', 'docker-buildx');
  if (existsSync(plugin)) {
    mkdirSync(join(cfg, 'cli-plugins'), { recursive: true });
    const dst = join(cfg, 'cli-plugins', 'docker-buildx');
    if (!existsSync(dst)) { copyFileSync(plugin, dst); chmodSync(dst, 0o755); }
    if (!existsSync(join(cfg, 'config.json'))) writeFileSync(join(cfg, 'config.json'), '{}\n');
    return cfg;
  }
  return null;
}

async function startDockerd(name, e) {
  const versions = fetchSuite(e.suite);
  const tree = treeOf(e.suite);
  const bin = join(tree, 'usr', 'bin');
  const sbin = join(tree, 'usr', 'sbin');
  const dockerd = [join(sbin, 'dockerd'), join(bin, 'dockerd')].find((p) => existsSync(p));
  if (!dockerd) throw new Fail(`${e.suite}'s docker.io has no dockerd under ${tree}`);
  const runc = which('runc', '/usr/sbin:/usr/bin');
  if (!runc) aptGetInstall(['runc']);
  const dir = runDir(name);
  const root = join(rootBase, name);
  mkdirSync(dir, { recursive: true });
  mkdirSync(root, { recursive: true });
  // A private folder that holds Debian 12's runc (glibc 2.36) ahead of the unpacked tree: the
  // daemon and containerd look runc up on PATH, and the tree's own runc would not run here.
  const shim = join(dir, 'bin');
  mkdirSync(shim, { recursive: true });
  rmSync(join(shim, 'runc'), { force: true });
  execFileSync('ln', ['-s', which('runc', '/usr/sbin:/usr/bin'), join(shim, 'runc')]);
  // Our unpacked binaries (dockerd, containerd, containerd-shim-runc-v2, docker-init,
  // docker-proxy) come before the system's on PATH, so the daemon supervises the matching containerd.
  const path = [shim, sbin, bin, join(tree, 'usr', 'libexec', 'docker'), process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'].join(':');
  const config = join(dir, 'daemon.json');
  writeFileSync(config, JSON.stringify({ features: { 'containerd-snapshotter': e.snapshotter } }) + '\n');
  for (const f of [pidFileOf(name), sockOf(name)]) rmSync(f, { force: true });
  const out = openSync(logOf(name), 'a');
  const args = [
    '--config-file', config,
    '--data-root', root,
    '--exec-root', join(dir, 'exec'),
    '--pidfile', pidFileOf(name),
    '-H', hostOf(name),
    '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
    '--containerd-namespace', `stagelens-${name}`, '--containerd-plugins-namespace', `stagelens-${name}-plugins`,
  ];
  // The graph driver only applies to the classic store; the containerd store picks its snapshotter.
  if (!e.snapshotter) args.push('--storage-driver', 'overlay2');
  // dockerd uses a system containerd when /run/containerd/containerd.sock exists; ours would then
  // not be the suite's. Namespaces above keep it apart either way; say so in the log.
  if (existsSync('/run/containerd/containerd.sock')) say(`note: a system containerd is running; ${name} shares it (own namespace stagelens-${name})`);
  const child = spawn(dockerd, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, PATH: path } });
  child.unref();
  await waitReady(name, child, `dockerd ${versions['docker.io']}`);
}

/**
 * The storage driver Podman can use here as root: native overlay (works on ext4/xfs with a
 * kernel overlay module; it did on this project's Debian 12 machines), else fuse-overlayfs when
 * installed, else vfs (always works, copies every layer). Each is probed with `podman info` on a
 * scratch root, because a storage root keeps the driver it was created with; the choice is
 * remembered beside the storage. STAGELENS_PODMAN_DRIVER forces one.
 */
function podmanDriver(root, dir) {
  const marker = join(root, 'stagelens-driver');
  if (existsSync(marker)) return readFileSync(marker, 'utf8').trim();
  const candidates = process.env.STAGELENS_PODMAN_DRIVER ? [process.env.STAGELENS_PODMAN_DRIVER]
    : ['overlay', ...(which('fuse-overlayfs') ? ['fuse-overlayfs'] : []), 'vfs'];
  const tried = [];
  for (const d of candidates) {
    const probe = join(root, `probe-${d}`);
    const args = ['--root', probe, '--runroot', join(dir, `probe-run-${d}`), '--storage-driver', d === 'fuse-overlayfs' ? 'overlay' : d];
    if (d === 'fuse-overlayfs') args.push('--storage-opt', `overlay.mount_program=${which('fuse-overlayfs')}`);
    const r = spawnSync(which('podman'), [...args, 'info', '--format', '{{.Store.GraphDriverName}}'], { encoding: 'utf8', env: { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') } });
    unmountBelow(probe);
    rmSync(probe, { recursive: true, force: true });
    rmSync(join(dir, `probe-run-${d}`), { recursive: true, force: true });
    if (r.status === 0) { writeFileSync(marker, `${d}\n`); return d; }
    tried.push(`${d}: ${(r.stderr || '').trim().split('\n').pop()}`);
  }
  throw new Fail(`no Podman storage driver works here (${tried.join('; ')})`);
}

/** podman's global storage flags for a driver chosen by podmanDriver. */
function podmanStorageArgs(driver) {
  return driver === 'fuse-overlayfs'
    ? ['--storage-driver', 'overlay', '--storage-opt', `overlay.mount_program=${which('fuse-overlayfs')}`]
    : ['--storage-driver', driver];
}

async function startPodman(name) {
  ensurePodman();
  const dir = runDir(name);
  const root = join(rootBase, name);
  mkdirSync(dir, { recursive: true });
  mkdirSync(root, { recursive: true });
  rmSync(sockOf(name), { force: true });
  // No systemd here: cgroupfs and a file events log, so the service needs no D-Bus.
  writeFileSync(join(dir, 'containers.conf'), '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
  const driver = podmanDriver(root, dir);
  const out = openSync(logOf(name), 'a');
  // --root/--runroot keep images and runtime state private; the CNI/netavark config dir is the
  // system's, but builds here run with network none or host, so no network is ever created.
  const args = [
    '--root', join(root, 'storage'), '--runroot', join(dir, 'runroot'),
    ...podmanStorageArgs(driver),
    '--tmpdir', join(dir, 'tmp'),
    'system', 'service', '--time=0', hostOf(name),
  ];
  const child = spawn(which('podman'), args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') } });
  child.unref();
  writeFileSync(pidFileOf(name), `${child.pid}\n`);
  await waitReady(name, child, `podman, storage driver ${driver}`);
}

function docker20Env(name) {
  return { ...process.env, STAGELENS_ENGINE_DIR: runDir(name), STAGELENS_ENGINE_ROOT: join(rootBase, name) };
}

async function start(name) {
  const e = ENGINES[name];
  if (!e) throw new Fail(`unknown engine ${name} (known: ${Object.keys(ENGINES).join(', ')})`);
  if (e.kind === 'docker20') {
    // scripts/engine.mjs with private locations: its socket is <run>/docker20/docker.sock.
    const out = execFileSync(process.execPath, [join(here, 'engine.mjs'), 'start'], { encoding: 'utf8', env: docker20Env(name), stdio: ['ignore', 'pipe', 'inherit'] });
    process.stdout.write(out);
    return;
  }
  if (!(await ping(name))) {
    needRoot(`starting ${name}`);
    if (e.kind === 'dockerd') await startDockerd(name, e);
    else await startPodman(name);
    const d = await describe(sockOf(name));
    say(`${name} ready at ${hostOf(name)}: ${d ? `${d.product} ${d.version}, API ${d.api}, store ${d.store}` : '?'}`);
  }
  process.stdout.write(`DOCKER_HOST=${hostOf(name)}\n`);
  const cfg = e.suite ? dockerConfigOf(e.suite) : null;
  if (cfg) process.stdout.write(`DOCKER_CONFIG=${cfg}\n`);
}

async function stop(name) {
  const e = ENGINES[name];
  if (!e) throw new Fail(`unknown engine ${name} (known: ${Object.keys(ENGINES).join(', ')}, all)`);
  if (e.kind === 'docker20') {
    execFileSync(process.execPath, [join(here, 'engine.mjs'), 'stop'], { env: docker20Env(name), stdio: 'inherit' });
    return;
  }
  const pid = readPid(name);
  if (!pid || !pidAlive(pid)) say(`${name}: not running`);
  else {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (pidAlive(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } say(`${name}: killed`); } else say(`${name}: stopped`);
  }
  if (e.kind === 'podman') unmountBelow(join(rootBase, name));
}

/**
 * Podman's storage keeps its overlay folder bind-mounted (and a build's `merged` mount) after
 * the service exits; unmount what is left below the engine's own root, deepest first, so the
 * data-root can be removed and nothing of ours stays mounted.
 */
function unmountBelow(dir) {
  let mounts = [];
  try { mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && (m === dir || m.startsWith(`${dir}/`))); } catch { return; }
  for (const m of mounts.sort((a, b) => b.length - a.length)) {
    const r = spawnSync('umount', ['-l', m], { encoding: 'utf8' });
    if (r.status !== 0) say(`could not unmount ${m}: ${(r.stderr || '').trim()}`);
  }
}

async function versions(json) {
  const rows = [];
  for (const name of Object.keys(ENGINES)) {
    const sock = ENGINES[name].kind === 'docker20' ? join(runDir(name), 'docker.sock') : sockOf(name);
    const d = await describe(sock);
    if (d) rows.push({ name, host: `unix://${sock}`, ...d });
  }
  if (json) { process.stdout.write(JSON.stringify(rows, null, 2) + '\n'); return; }
  if (!rows.length) { say('no matrix engine is running'); return; }
  for (const r of rows) process.stdout.write(`${r.name.padEnd(20)} ${r.product} ${r.version}, API ${r.api}, store ${r.store}${r.containerd ? `, containerd ${r.containerd}` : ''}\n`);
}

function list() {
  for (const [name, e] of Object.entries(ENGINES)) {
    const v = e.suite ? fetched(e.suite) : null;
    const state = e.suite ? (v ? `fetched: docker.io ${v['docker.io']}, containerd ${v.containerd}` : 'not fetched') : '';
    process.stdout.write(`${name.padEnd(20)} ${e.about}${state ? ` [${state}]` : ''}\n`);
  }
}

const usage = 'usage: node scripts/engines.mjs list | fetch [NAME…] | start NAME | env NAME | stop NAME|all | versions [--json]';
const [cmd, ...rest] = process.argv.slice(2);
try {
  if (cmd === 'list') list();
  else if (cmd === 'fetch') for (const n of rest.length ? rest : Object.keys(ENGINES)) fetchEngine(n);
  else if (cmd === 'start' && rest.length === 1) await start(rest[0]);
  else if (cmd === 'env' && rest.length === 1) {
    const n = rest[0];
    if (!ENGINES[n]) throw new Fail(`unknown engine ${n}`);
    const sock = ENGINES[n].kind === 'docker20' ? join(runDir(n), 'docker.sock') : sockOf(n);
    if (!(await get(sock, '/_ping', 1500))) process.exit(1);
    process.stdout.write(`DOCKER_HOST=unix://${sock}\n`);
    const cfg = ENGINES[n].suite ? dockerConfigOf(ENGINES[n].suite) : null;
    if (cfg) process.stdout.write(`DOCKER_CONFIG=${cfg}\n`);
  } else if (cmd === 'stop' && rest.length === 1) {
    for (const n of rest[0] === 'all' ? Object.keys(ENGINES) : rest) await stop(n);
  } else if (cmd === 'versions') await versions(rest.includes('--json'));
  else if (cmd === 'buildx-config' && rest.length === 1 && SUITES[rest[0]]) {
    // For test harnesses: the DOCKER_CONFIG folder with that suite's docker-buildx plugin.
    const cfg = fetched(rest[0]) ? dockerConfigOf(rest[0]) : null;
    if (!cfg) throw new Fail(`Debian ${rest[0]}'s docker-buildx is not fetched: run node scripts/engines.mjs fetch first`);
    process.stdout.write(`DOCKER_CONFIG=${cfg}\n`);
  }
  else { process.stderr.write(`${usage}\n`); process.exit(2); }
} catch (e) {
  process.stderr.write(`[engines] ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
