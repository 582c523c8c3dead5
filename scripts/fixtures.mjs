#!/usr/bin/env node
// Builds Stage Lens's fixture base images into the PRIVATE test engine, from Debian packages
// only (no image registry is reachable from CI):
//
//   stagelens-fixture/busybox:latest  busybox-static + applet symlinks, `docker import`
//   busybox:latest                    the same image under the name examples use
//   debian:bookworm-slim              debootstrap --variant=minbase, slimmed like the official image
//   python:3.12-slim                  debian:bookworm-slim + Debian's python3, venv, pip
//   python:3.12                       python:3.12-slim + compilers and -dev headers (large)
//
// The python tags are STAND-INS named after the images the seed's Dockerfiles use: Debian
// bookworm ships Python 3.11, so `python --version` inside them says 3.11.
//
// Ecosystem images for the rewrites of examples/{node,go,rust,java} (all on debian:bookworm-slim,
// Debian's versions, which differ from what the upstream tags ship):
//
//   node:18-slim, node:18              nodejs 18 + npm; the full one adds build-essential, git
//   golang:1.19                        golang-go 1.19 + gcc (cgo), GOPATH=/go
//   gcr.io/distroless/static-debian12:nonroot   no shell: passwd/group with nonroot (65532),
//                                      CA certificates and tzdata, USER 65532
//   rust:1.63                          rustc 1.63 + cargo, CARGO_HOME=/usr/local/cargo
//   eclipse-temurin:17-jre             openjdk-17-jre-headless
//   eclipse-temurin:17(-jdk)           the JRE + openjdk-17-jdk-headless
//   maven:3-eclipse-temurin-17         the JDK + maven 3.8
//
//   node scripts/fixtures.mjs [--host DOCKER_HOST] [--only SET[,SET…]]
//     SET: busybox | debian | python | node | go | rust | java | ecosystems (node,go,rust,java)
//
// Idempotent: an image that exists with the current fixture version label is skipped, so a warm
// run takes about a second. The debootstrap root filesystem is cached as a tarball under
// ${STAGELENS_CACHE:-/var/cache/stagelens}/fixtures/, keyed by ROOTFS_VERSION, so rebuilding the
// images on the same machine (e.g. after the engine's data-root was wiped) skips debootstrap.
// Bump the versions below whenever what goes into an image changes.
//
// Measured on this project's 2-core machines (Debian 12, dockerd 20.10.24): cold on an idle
// machine 210 s (debootstrap 78 s, python:3.12-slim 42 s, python:3.12 85 s); cold while other
// heavy jobs kept the load average at 15-19, about 850 s; warm (all images present) 1.5 s.
// Sizes: debian:bookworm-slim 75 MB, python:3.12-slim 148 MB, python:3.12 650 MB.
// The ecosystem images, cold, two chains at a time, while other jobs kept the load average at
// 15-18: node/go/rust 451 s (golang 207 s, distroless 46 s, node:18-slim 328 s, node:18 112 s,
// rust 127 s), java 183 s (JRE 77 s, JDK 49 s, maven 54 s): about 10.5 min added to a cold run;
// warm, all present, 0.2-0.7 s. Sizes: node:18-slim 301 MB, node:18 634 MB, golang:1.19 817 MB,
// distroless 1.5 MB, rust:1.63 821 MB, JRE 300 MB, JDK 380 MB, maven 393 MB.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync, readdirSync, statSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOTFS_VERSION = 'bookworm-minbase-2';
const IMAGE_VERSION = '2';
const LABEL = 'com.stagelens.fixture';
const SUITE = 'bookworm';

/** Every image this script makes (tags), for tests that check Dockerfiles only use these. */
export const FIXTURE_IMAGES = ['stagelens-fixture/busybox:latest', 'busybox:latest', 'debian:bookworm-slim', 'python:3.12-slim', 'python:3.12'];

/** Ecosystem images (built on debian:bookworm-slim), by --only set, in build order per chain. */
export const ECOSYSTEM_IMAGES = {
  node: ['node:18-slim', 'node:18'],
  go: ['golang:1.19', 'gcr.io/distroless/static-debian12:nonroot'],
  rust: ['rust:1.63'],
  java: ['eclipse-temurin:17-jre', 'eclipse-temurin:17', 'eclipse-temurin:17-jdk', 'maven:3-eclipse-temurin-17'],
};
FIXTURE_IMAGES.push(...Object.values(ECOSYSTEM_IMAGES).flat());
// Their own label version, so changing them does not rebuild the Python images (and back).
const ECO_VERSION = 'eco-1';
const ECO_NAMES = new Set(Object.values(ECOSYSTEM_IMAGES).flat());
const versionFor = (name) => (ECO_NAMES.has(name) ? ECO_VERSION : IMAGE_VERSION);
const SETS = ['busybox', 'debian', 'python', ...Object.keys(ECOSYSTEM_IMAGES), 'ecosystems'];

const BUSYBOX = 'stagelens-fixture/busybox:latest';
const BUSYBOX_ALIAS = 'busybox:latest';
const t0 = Date.now();
const say = (m) => process.stderr.write(`[fixtures] ${m}\n`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

class Fail extends Error {}

function parseArgs(argv) {
  const opts = { host: process.env.DOCKER_HOST ?? '', only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--host') opts.host = argv[++i] ?? '';
    else if (a.startsWith('--host=')) opts.host = a.slice(7);
    else if (a === '--only') opts.only = argv[++i] ?? null;
    else if (a.startsWith('--only=')) opts.only = a.slice(7);
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`usage: node scripts/fixtures.mjs [--host DOCKER_HOST] [--only SET[,SET…]]  (SET: ${SETS.join(' | ')})\n`);
      process.exit(0);
    } else throw new Fail(`unknown argument ${a} (usage: node scripts/fixtures.mjs [--host DOCKER_HOST] [--only SET[,SET…]])`);
  }
  if (opts.only !== null) {
    const sets = opts.only.split(',').map((x) => x.trim()).filter(Boolean);
    const bad = sets.filter((x) => !SETS.includes(x));
    if (bad.length || sets.length === 0) throw new Fail(`unknown --only set ${bad[0] ?? '""'}: use one or more of ${SETS.join(', ')}, comma-separated`);
    opts.only = new Set(sets.flatMap((x) => (x === 'ecosystems' ? Object.keys(ECOSYSTEM_IMAGES) : [x])));
  }
  return opts;
}

/** Runs a program; resolves with its stdout, rejects with the tail of its stderr. */
function run(cmd, args, { env, input, stdinFile, quiet = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; if (!quiet) process.stderr.write(d); });
    child.stderr.on('data', (d) => { err += d; if (err.length > 64_000) err = err.slice(-32_000); });
    child.on('error', (e) => reject(new Fail(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else {
        // docker build reports the failing step's output on stdout and only a summary on stderr.
        const tail = [out.trim().split('\n').slice(-8).join('\n'), err.trim().split('\n').slice(-12).join('\n')].filter(Boolean).join('\n');
        reject(new Fail(`${cmd} ${args.slice(0, 3).join(' ')} … exited ${code}:\n${tail}`));
      }
    });
    if (stdinFile) createReadStream(stdinFile).on('error', reject).pipe(child.stdin);
    else if (input instanceof Object && typeof input.pipe === 'function') input.pipe(child.stdin);
    else child.stdin.end(input ?? '');
  });
}

/** Pipes `tar -c` of a folder into a second program (docker import) without touching disk. */
function tarInto(dir, cmd, args, env) {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-C', dir, '--numeric-owner', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tarErr = '';
    tar.stderr.on('data', (d) => { tarErr += d; });
    tar.on('error', (e) => reject(new Fail(`cannot run tar: ${e.message}`)));
    tar.on('close', (code) => { if (code !== 0) reject(new Fail(`tar of ${dir} failed: ${tarErr.trim()}`)); });
    run(cmd, args, { env, input: tar.stdout }).then(resolve, reject);
  });
}

function isRoot() { return process.getuid?.() === 0; }

function which(cmd) {
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin', '/bin'])) {
    if (d && existsSync(join(d, cmd))) return join(d, cmd);
  }
  return null;
}

/** The Docker CLI to drive the engine with. Debian's docker.io CLI (/usr/bin/docker) is
 *  preferred: newer CLIs need the buildx plugin for BuildKit, which is not installed here. */
function dockerCli() {
  if (process.env.STAGELENS_DOCKER_CLI) return process.env.STAGELENS_DOCKER_CLI;
  if (existsSync('/usr/bin/docker')) return '/usr/bin/docker';
  const found = which('docker');
  if (!found) throw new Fail('no docker CLI found: install Debian\'s docker.io (apt-get install docker.io)');
  return found;
}

/** True when the ELF file has no PT_INTERP program header, i.e. needs no dynamic loader. */
function isStaticElf(path) {
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false; // ELF64 only
    const phoff = Number(h.readBigUInt64LE(0x20));
    const phentsize = h.readUInt16LE(0x36);
    const phnum = h.readUInt16LE(0x38);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally { closeSync(fd); }
}

let aptUpdated = false;
async function aptInstall(pkgs, why) {
  if (!isRoot()) throw new Fail(`${why} is missing and installing it needs root: run \`sudo apt-get install ${pkgs.join(' ')}\` first`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const t = Date.now();
  if (!aptUpdated) { await run('apt-get', ['update', '-qq'], { env }); aptUpdated = true; }
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env });
  say(`installed ${pkgs.join(' ')} with apt-get (${secs(Date.now() - t)})`);
}

function cacheDir() {
  const base = process.env.STAGELENS_CACHE ?? '/var/cache/stagelens';
  const dir = join(base, 'fixtures');
  try { mkdirSync(dir, { recursive: true }); return dir; } catch {
    // Not root and no STAGELENS_CACHE: the cache still helps within this machine's temp dir.
    const fallback = join(tmpdir(), 'stagelens-cache', 'fixtures');
    mkdirSync(fallback, { recursive: true });
    say(`cannot write ${dir}; caching in ${fallback}`);
    return fallback;
  }
}

/** The Debian mirror and security URIs the host's apt uses (deb822 or one-line format). */
function debianMirrors() {
  let main = process.env.STAGELENS_DEBIAN_MIRROR ?? null;
  let security = null;
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    for (const block of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(block)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(block)?.[1] ?? '';
      if (uri && /-security/.test(suites)) security ??= uri;
      else if (uri && new RegExp(`\\b${SUITE}\\b`).test(suites)) main ??= uri;
    }
    for (const m of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/gm)) {
      if (/-security/.test(m[2])) security ??= m[1];
      else if (m[2] === SUITE) main ??= m[1];
    }
  }
  main ??= 'http://deb.debian.org/debian';
  security ??= main.replace(/\/debian\/?$/, '/debian-security');
  return { main, security };
}

/** Serialises concurrent runs against the same engine (test files run in parallel processes and
 *  each may ask for the fixtures): the second run waits, then finds the images present. */
async function acquireLock(host) {
  const lock = join(cacheDir(), `fixtures-${createHash('sha256').update(host).digest('hex').slice(0, 12)}.lock`);
  let told = false;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      const release = () => { try { if (readFileSync(lock, 'utf8') === String(process.pid)) rmSync(lock); } catch { /* gone */ } };
      process.on('exit', release);
      return release;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let holder = NaN;
    try { holder = Number(readFileSync(lock, 'utf8')); } catch { continue; }
    let alive = Number.isInteger(holder) && holder > 0;
    if (alive) { try { process.kill(holder, 0); } catch (e) { alive = e.code === 'EPERM'; } }
    if (!alive) { rmSync(lock, { force: true }); continue; }
    if (!told) { say(`waiting for another fixtures run (pid ${holder}) …`); told = true; }
    await new Promise((r) => setTimeout(r, 500));
  }
}

// ---------------------------------------------------------------------------------------------

class Engine {
  constructor(host) {
    this.cli = dockerCli();
    this.env = { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '0' };
    delete this.env.DOCKER_CONTEXT;
  }
  docker(args, opts = {}) { return run(this.cli, args, { env: this.env, ...opts }); }
  /** The fixture version label of an image, '' for an image without one, null when absent. */
  async fixtureVersion(name) {
    try {
      const out = await this.docker(['image', 'inspect', '--format', `{{index .Config.Labels "${LABEL}"}}|{{.Id}}`, name]);
      const [version, id] = out.trim().split('|');
      return { version: version === '<no value>' ? '' : version, id };
    } catch { return null; }
  }
  async isCurrent(name) { return (await this.fixtureVersion(name))?.version === versionFor(name); }
  /** One inspect for all names: true when every one exists with the current fixture label.
   *  Names that share an image (busybox and its alias) must be tags of that same image. */
  async allCurrent(names) {
    let out;
    try { out = await this.docker(['image', 'inspect', '--format', `{{json .RepoTags}}|{{index .Config.Labels "${LABEL}"}}`, ...names]); } catch { return false; }
    const imageOf = new Map(); // tag -> index of the image (output line) that carries it
    out.trim().split('\n').forEach((line, i) => {
      const bar = line.lastIndexOf('|');
      const version = line.slice(bar + 1);
      for (const tag of JSON.parse(line.slice(0, bar)) ?? []) if (version === versionFor(tag)) imageOf.set(tag, i);
    });
    if (!names.every((n) => imageOf.has(n))) return false;
    return !names.includes(BUSYBOX_ALIAS) || imageOf.get(BUSYBOX_ALIAS) === imageOf.get(BUSYBOX);
  }
}

async function busyboxImage(engine, done) {
  const name = 'stagelens-fixture/busybox:latest';
  if (await engine.isCurrent(name)) {
    const alias = await engine.fixtureVersion('busybox:latest');
    const own = await engine.fixtureVersion(name);
    if (alias?.id !== own.id) await engine.docker(['tag', name, 'busybox:latest']);
    done.push(`${name}: present`);
    return;
  }
  const t = Date.now();
  let bin = '/bin/busybox';
  if (!existsSync(bin) || !isStaticElf(bin)) {
    await aptInstall(['busybox-static'], 'busybox-static');
    if (!existsSync(bin) || !isStaticElf(bin)) throw new Fail(`${bin} is not a static binary even after installing busybox-static`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'stagelens-busybox-'));
  let count = 0;
  try {
    for (const d of ['bin', 'etc', 'tmp', 'root', 'var', 'home']) mkdirSync(join(dir, d));
    chmodSync(join(dir, 'tmp'), 0o1777);
    copyFileSync(bin, join(dir, 'bin', 'busybox'));
    chmodSync(join(dir, 'bin', 'busybox'), 0o755);
    const applets = (await run(bin, ['--list'])).split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox');
    for (const a of applets) symlinkSync('busybox', join(dir, 'bin', a));
    count = applets.length;
    writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
    writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    await tarInto(dir, engine.cli, ['import',
      '--change', 'ENV PATH=/bin',
      '--change', 'CMD ["sh"]',
      '--change', `LABEL ${LABEL}=${IMAGE_VERSION}`,
      '-', name], engine.env);
    await engine.docker(['tag', name, 'busybox:latest']);
  } finally { rmSync(dir, { recursive: true, force: true }); }
  done.push(`${name} (+ busybox:latest): imported (${count} applets) in ${secs(Date.now() - t)}`);
}

/** Unmounts anything debootstrap left mounted below dir, so removing dir cannot reach the host. */
async function unmountBelow(dir) {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(dir + '/'));
  for (const m of mounts.sort().reverse()) await run(which('umount') ?? 'umount', ['-l', m]).catch(() => {});
}

/** Removes what the official slim image removes: docs, man pages, translations, apt state. */
function slimRootfs(root, mirrors) {
  const conf = (rel, text) => { mkdirSync(join(root, rel, '..'), { recursive: true }); writeFileSync(join(root, rel), text); };
  rmSync(join(root, 'etc/apt/sources.list'), { force: true });
  conf('etc/apt/sources.list.d/debian.sources',
    `Types: deb\nURIs: ${mirrors.main}\nSuites: ${SUITE} ${SUITE}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n` +
    `Types: deb\nURIs: ${mirrors.security}\nSuites: ${SUITE}-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`);
  // The same behaviour the official Debian images configure, in our own words.
  conf('etc/apt/apt.conf.d/docker-clean',
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n' +
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n' +
    'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";\n');
  conf('etc/apt/apt.conf.d/docker-no-languages', 'Acquire::Languages "none";\n');
  conf('etc/apt/apt.conf.d/docker-gzip-indexes', 'Acquire::GzipIndexes "true";\n');
  conf('etc/apt/apt.conf.d/docker-autoremove-suggests', 'Apt::AutoRemove::SuggestsImportant "false";\n');
  // Containers are thrown away on failure, so dpkg's fsync per file only costs time (a lot of
  // it on a busy 2-core machine); older official images set the same.
  conf('etc/dpkg/dpkg.cfg.d/docker-apt-speedup', 'force-unsafe-io\n');
  conf('etc/dpkg/dpkg.cfg.d/docker-slim',
    ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*', '/usr/share/lintian/*', '/usr/share/linda/*']
      .map((p) => `path-exclude ${p}\n`).join('') + 'path-include /usr/share/doc/*/copyright\npath-include /usr/share/locale/locale.alias\n');
  for (const d of ['usr/share/man', 'usr/share/info', 'usr/share/lintian', 'usr/share/linda']) {
    rmSync(join(root, d), { recursive: true, force: true });
    mkdirSync(join(root, d), { recursive: true });
  }
  const docs = join(root, 'usr/share/doc');
  for (const pkg of existsSync(docs) ? readdirSync(docs) : []) {
    const p = join(docs, pkg);
    if (!statSync(p).isDirectory()) { rmSync(p, { force: true }); continue; }
    for (const f of readdirSync(p)) if (f !== 'copyright') rmSync(join(p, f), { recursive: true, force: true });
  }
  const locale = join(root, 'usr/share/locale');
  for (const f of existsSync(locale) ? readdirSync(locale) : []) if (f !== 'locale.alias') rmSync(join(locale, f), { recursive: true, force: true });
  for (const d of ['var/lib/apt/lists', 'var/cache/apt', 'var/log', 'tmp', 'var/tmp', 'run']) {
    const p = join(root, d);
    for (const f of existsSync(p) ? readdirSync(p) : []) if (f !== 'partial' && f !== 'lock') rmSync(join(p, f), { recursive: true, force: true });
  }
  // The engine supplies these per container.
  for (const f of ['etc/resolv.conf', 'etc/hostname', 'etc/hosts']) rmSync(join(root, f), { force: true });
  writeFileSync(join(root, 'etc/hostname'), 'localhost\n');
}

/** Where debootstrap unpacks: tmpfs when it has room, which spares dpkg's fsyncs (minutes on a
 *  loaded machine); the result is tarred to the cache anyway. */
function scratchDir() {
  try {
    const st = statfsSync('/dev/shm');
    if (st.bavail * st.bsize > 2e9) return '/dev/shm';
  } catch { /* no tmpfs */ }
  return tmpdir();
}

async function rootfsTarball(done) {
  const file = join(cacheDir(), `debian-${ROOTFS_VERSION}.tar`);
  if (existsSync(file)) { done.push(`rootfs: cached ${file}`); return file; }
  if (!isRoot()) throw new Fail(`building the Debian fixture needs debootstrap as root (no cached ${file}): run as root`);
  if (!which('debootstrap')) await aptInstall(['debootstrap'], 'debootstrap');
  const debootstrap = which('debootstrap');
  if (!debootstrap) throw new Fail('debootstrap is still missing after apt-get install debootstrap');
  const mirrors = debianMirrors();
  const work = mkdtempSync(join(scratchDir(), 'stagelens-rootfs-'));
  const root = join(work, 'rootfs');
  const t = Date.now();
  try {
    say(`debootstrap --variant=minbase ${SUITE} from ${mirrors.main} (a few minutes) …`);
    await run(debootstrap, ['--variant=minbase', SUITE, root, mirrors.main]);
    const tBoot = Date.now() - t;
    slimRootfs(root, mirrors);
    await run('tar', ['-C', root, '--numeric-owner', '--xattrs', '-cf', `${file}.part`, '.']);
    renameSync(`${file}.part`, file);
    // Tarballs of earlier ROOTFS_VERSIONs are never read again.
    for (const f of readdirSync(dirname(file))) if (/^debian-.*\.tar$/.test(f) && join(dirname(file), f) !== file) rmSync(join(dirname(file), f), { force: true });
    done.push(`rootfs: debootstrap ${secs(tBoot)}, slim + tar ${secs(Date.now() - t - tBoot)} -> ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB)`);
  } finally {
    await unmountBelow(root);
    rmSync(work, { recursive: true, force: true });
    rmSync(`${file}.part`, { force: true });
  }
  return file;
}

async function debianImage(engine, done) {
  const name = 'debian:bookworm-slim';
  if (await engine.isCurrent(name)) { done.push(`${name}: present`); return; }
  const file = await rootfsTarball(done);
  const t = Date.now();
  await engine.docker(['import',
    '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    '--change', 'CMD ["bash"]',
    '--change', `LABEL ${LABEL}=${IMAGE_VERSION}`,
    '-', name], { stdinFile: file });
  done.push(`${name}: imported in ${secs(Date.now() - t)}`);
}

// Packages of the slim stand-in: an interpreter with venv and pip, plus setuptools and wheel so
// `pip install --no-index --no-build-isolation` can build local sources without PyPI.
const PYTHON_SLIM = `FROM debian:bookworm-slim
ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
RUN apt-get update \\
 && apt-get install -y --no-install-recommends python3 python3-venv python3-pip python-is-python3 \\
      python3-setuptools python3-wheel python3-wheel-whl ca-certificates \\
 && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \\
 && rm -rf /var/lib/apt/lists/*
LABEL ${LABEL}=${IMAGE_VERSION} ${LABEL}.note="stand-in for python:3.12-slim built from Debian bookworm packages (Python 3.11)"
CMD ["python3"]
`;

// What the official full image adds over slim (it is built on buildpack-deps): compilers and the
// headers of common C libraries, plus version-control and download tools.
const PYTHON_FULL = `FROM python:3.12-slim
RUN apt-get update \\
 && apt-get install -y --no-install-recommends build-essential gcc g++ make pkg-config python3-dev \\
      libc6-dev libssl-dev libffi-dev zlib1g-dev libbz2-dev liblzma-dev libsqlite3-dev libreadline-dev \\
      libncurses-dev libxml2-dev libxslt1-dev libyaml-dev libjpeg-dev libpng-dev libpq-dev libgdbm-dev \\
      libdb-dev uuid-dev git curl wget procps file xz-utils bzip2 unzip dpkg-dev autoconf automake libtool \\
 && rm -rf /var/lib/apt/lists/*
LABEL ${LABEL}=${IMAGE_VERSION} ${LABEL}.note="stand-in for python:3.12 built from Debian bookworm packages (Python 3.11)"
CMD ["python3"]
`;

async function buildImage(engine, name, dockerfile, done) {
  if (await engine.isCurrent(name)) { done.push(`${name}: present`); return; }
  const t = Date.now();
  say(`building ${name} (apt-get from Debian's archive, host network) …`);
  // Classic builder with the Dockerfile on stdin and no context: works with every docker CLI.
  await engine.docker(['build', '--network', 'host', '--force-rm', '-t', name, '-'], { input: dockerfile });
  done.push(`${name}: built in ${secs(Date.now() - t)}`);
}

// ---------------------------------------------------------------------------------------------
// Ecosystem stand-ins. Each installs Debian bookworm's packages, so the versions inside are
// Debian's (nodejs 18.19+, Go 1.19, Rust 1.63, OpenJDK 17, Maven 3.8), not the upstream images'
// builds. Environment variables and paths follow the upstream images where Dockerfiles rely on
// them (GOPATH=/go, CARGO_HOME=/usr/local/cargo, JAVA_HOME=/opt/java/openjdk). force-unsafe-io
// and no docs come from the debian:bookworm-slim rootfs (slimRootfs).
const APT = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends';
const APT_DONE = 'rm -rf /var/lib/apt/lists/*';
const ecoLabel = (what) => `LABEL ${LABEL}=${ECO_VERSION} ${LABEL}.note="stand-in for ${what} built from Debian bookworm packages"`;

const ECO_DOCKERFILES = {
  // Debian's npm brings node-gyp and its headers but no compiler (build-essential is only
  // recommended); the upstream slim image ships npm too. The `node` user (1000) is upstream's.
  'node:18-slim': `FROM debian:bookworm-slim
RUN ${APT} nodejs npm ca-certificates \\
 && groupadd -g 1000 node && useradd -u 1000 -g node -m -s /bin/bash node \\
 && ${APT_DONE}
${ecoLabel('node:18-slim (nodejs 18 + npm 9)')}
CMD ["node"]
`,
  // Upstream's full tag sits on buildpack-deps: compilers for node-gyp, git, curl.
  'node:18': `FROM node:18-slim
RUN ${APT} build-essential python3 pkg-config git curl \\
 && ${APT_DONE}
${ecoLabel('node:18 (nodejs 18 + npm 9 + build-essential)')}
CMD ["node"]
`,
  'golang:1.19': `FROM debian:bookworm-slim
RUN ${APT} golang-go gcc libc6-dev make pkg-config git ca-certificates \\
 && mkdir -p /go/src /go/bin && chmod -R 1777 /go \\
 && ${APT_DONE}
ENV GOPATH=/go PATH=/go/bin:/usr/lib/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
${ecoLabel('golang:1.19 (golang-go 1.19)')}
CMD ["bash"]
`,
  // distroless/static: no shell, no libc; the files a static binary may want (user database,
  // CA bundle, time zones) and the nonroot user (65532) its :nonroot tag runs as.
  'gcr.io/distroless/static-debian12:nonroot': `FROM debian:bookworm-slim AS files
RUN ${APT} ca-certificates tzdata \\
 && mkdir -p /out/etc/ssl/certs /out/usr/share /out/tmp /out/root /out/home/nonroot \\
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \\
 && cp -a /usr/share/zoneinfo /out/usr/share/ && cp /etc/os-release /out/etc/ \\
 && printf 'root:x:0:0:root:/root:/sbin/nologin\\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\\n' > /out/etc/passwd \\
 && printf 'root:x:0:\\nnobody:x:65534:\\nnonroot:x:65532:\\n' > /out/etc/group \\
 && chmod 1777 /out/tmp && chmod 700 /out/root && chown 65532:65532 /out/home/nonroot
FROM scratch
COPY --from=files /out/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532
WORKDIR /home/nonroot
${ecoLabel('gcr.io/distroless/static-debian12:nonroot')}
`,
  'rust:1.63': `FROM debian:bookworm-slim
RUN ${APT} rustc cargo gcc libc6-dev make pkg-config git ca-certificates \\
 && mkdir -p /usr/local/cargo/bin /usr/local/rustup && chmod -R a+w /usr/local/cargo \\
 && ${APT_DONE}
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
${ecoLabel('rust:1.63 (rustc 1.63 + cargo 0.66)')}
CMD ["bash"]
`,
  // The JDK builds on the JRE image (shared layer, half the download); upstream's are separate.
  // The JRE's postinst links its man page into man1, which the slim rootfs does not have.
  'eclipse-temurin:17-jre': `FROM debian:bookworm-slim
RUN mkdir -p /usr/share/man/man1 \\
 && ${APT} openjdk-17-jre-headless ca-certificates \\
 && mkdir -p /opt/java && ln -s "$(dirname "$(dirname "$(readlink -f /usr/bin/java)")")" /opt/java/openjdk \\
 && ${APT_DONE}
ENV JAVA_HOME=/opt/java/openjdk LANG=C.UTF-8
${ecoLabel('eclipse-temurin:17-jre (openjdk-17-jre-headless)')}
CMD ["java", "-version"]
`,
  'eclipse-temurin:17': `FROM eclipse-temurin:17-jre
RUN ${APT} openjdk-17-jdk-headless \\
 && ${APT_DONE}
${ecoLabel('eclipse-temurin:17 (openjdk-17-jdk-headless)')}
CMD ["jshell"]
`,
  'maven:3-eclipse-temurin-17': `FROM eclipse-temurin:17
RUN ${APT} maven \\
 && ${APT_DONE}
ENV MAVEN_HOME=/usr/share/maven
${ecoLabel('maven:3-eclipse-temurin-17 (maven 3.8)')}
CMD ["mvn"]
`,
};
/** Extra tags of the same image. */
const ECO_ALIASES = { 'eclipse-temurin:17-jdk': 'eclipse-temurin:17' };

/** One ecosystem's chain, in order (each image may start FROM the one before). */
async function ecosystemImages(engine, set, done) {
  for (const name of ECOSYSTEM_IMAGES[set]) {
    const alias = ECO_ALIASES[name];
    if (alias) {
      const [a, b] = await Promise.all([engine.fixtureVersion(name), engine.fixtureVersion(alias)]);
      if (a?.version !== ECO_VERSION || a.id !== b?.id) await engine.docker(['tag', alias, name]);
      done.push(`${name}: tag of ${alias}`);
      continue;
    }
    await buildImage(engine, name, ECO_DOCKERFILES[name], done);
  }
}

/** Runs the tasks at most `limit` at a time: apt downloads overlap, dpkg does not starve. */
async function limited(tasks, limit) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const k = next++;
      try { results[k] = { status: 'fulfilled', value: await tasks[k]() }; } catch (e) { results[k] = { status: 'rejected', reason: e }; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.host) throw new Fail('no engine given: pass --host unix:///path/docker.sock or set DOCKER_HOST (fixtures never go into the default engine)');
  if (/^unix:\/\/\/(var\/)?run\/docker\.sock$/.test(opts.host)) throw new Fail(`refusing to build fixtures into the default engine ${opts.host}: use the private test engine (node scripts/engine.mjs start)`);
  const engine = new Engine(opts.host);
  const want = (k) => !opts.only || opts.only.has(k);
  const ecoSets = Object.keys(ECOSYSTEM_IMAGES).filter(want);
  const wanted = FIXTURE_IMAGES.filter((n) => (ECO_NAMES.has(n) ? ecoSets.some((k) => ECOSYSTEM_IMAGES[k].includes(n))
    : /busybox/.test(n) ? want('busybox') : n.startsWith('debian') ? want('debian') || want('python') || ecoSets.length > 0 : want('python')));
  if (await engine.allCurrent(wanted)) {
    process.stdout.write(`fixtures ready in ${opts.host}: all present (${secs(Date.now() - t0)})\n`);
    return;
  }
  try { await engine.docker(['version', '--format', '{{.Server.Version}}']); } catch (e) {
    throw new Fail(`engine ${opts.host} is not reachable: ${String(e.message).split('\n').pop()}`);
  }
  const release = await acquireLock(opts.host);
  const done = [];
  const tasks = [];
  if (want('busybox')) tasks.push(busyboxImage(engine, done));
  if (want('debian') || want('python') || ecoSets.length) {
    tasks.push((async () => {
      await debianImage(engine, done);
      // Python first (the seed's tests), then the ecosystem chains two at a time.
      if (want('python')) {
        await buildImage(engine, 'python:3.12-slim', PYTHON_SLIM, done);
        await buildImage(engine, 'python:3.12', PYTHON_FULL, done);
      }
      const eco = await limited(ecoSets.map((k) => () => ecosystemImages(engine, k, done)), 2);
      const bad = eco.find((r) => r.status === 'rejected');
      if (bad) throw bad.reason;
    })());
  }
  const results = await Promise.allSettled(tasks);
  release();
  for (const line of done) say(line);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  process.stdout.write(`fixtures ready in ${opts.host} (${secs(Date.now() - t0)})\n`);
}

// Runs only as a program, so tests can import FIXTURE_IMAGES without building anything.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    const msg = e instanceof Fail ? e.message : (e?.stack ?? String(e));
    process.stderr.write(`[fixtures] failed: ${msg}\n`);
    process.exit(1);
  });
}
