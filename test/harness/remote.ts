// A second "host" for the remote-engine tests: a network namespace joined to this one by a veth
// pair, running its own PRIVATE dockerd (own data-root, exec-root, socket, containerd namespace,
// --bridge=none --iptables=false) reachable over
//   - tcp://10.211.11.2:2376 with mutual TLS (a CA, server and client certificates made here
//     with openssl, plus a second CA that the server does not know, for the "wrong certificate" case),
//   - ssh to 10.211.11.2:2222: Debian's sshd started here with its own host key, an authorized key
//     made here, and SetEnv DOCKER_HOST so `docker system dial-stdio` reaches that dockerd,
//   - Docker contexts in a private DOCKER_CONFIG that name both.
// Only addresses of this namespace (10.211.11.0/24, private, used nowhere else in the sandbox) are
// ever contacted. The client side lives in a private HOME: ~/.ssh/config with a Host alias,
// known_hosts and the key; OpenSSH reads ~ from the password database, not $HOME, so a `ssh`
// wrapper first on PATH passes `-F` that config. Nothing of the machine's user is touched.
//
// The data-root /var/lib/stagelens-remote11 is kept between runs (like scripts/engine.mjs's) so
// the busybox fixture is not re-imported each time; everything else is removed by stop().
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..');
export const NS = 'slr11';
const VETH_HOST = 'slr11h';
const VETH_NS = 'slr11r';
export const HOST_IP = '10.211.11.1';
export const REMOTE_IP = '10.211.11.2';
export const TLS_PORT = 2376;
export const SSH_PORT = 2222;
export const SSH_ALIAS = 'slr11-remote';
/** A Host alias whose known_hosts file is empty: the "unknown host key" case. */
export const SSH_ALIAS_UNKNOWN = 'slr11-unknown';
/** A Host alias offering only a key the remote does not authorize: the "wrong key" case. */
export const SSH_ALIAS_WRONG_KEY = 'slr11-wrongkey';
const RUN_DIR = '/run/stagelens-remote11';
const DATA_ROOT = '/var/lib/stagelens-remote11';
const SOCK = join(RUN_DIR, 'docker.sock');

export interface RemoteHost {
  /** unix socket of the remote dockerd, for checks from this side that bypass the link. */
  localSocket: string;
  tcpUrl: string;
  sshUrl: string;
  /** DOCKER_CERT_PATH-style folders: the right client certificate, and one from an unknown CA. */
  tlsDir: string;
  wrongTlsDir: string;
  badClientTlsDir: string;
  /** Private DOCKER_CONFIG holding the contexts `ctxTls` and `ctxSsh`. */
  dockerConfig: string;
  ctxTls: string;
  ctxSsh: string;
  /** Put first on PATH: the ssh wrapper that reads the private ~/.ssh/config. */
  binDir: string;
  home: string;
  /** Host-side veth name, for taking the link down and up. */
  veth: string;
  /** Bytes this side has sent / received over the link so far. */
  linkBytes(): { tx: number; rx: number };
  setLink(up: boolean): void;
  stop(): Promise<void>;
}

const run = (cmd: string, args: string[], opts: { input?: string } = {}): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input: opts.input });
const quiet = (cmd: string, args: string[]): void => { spawnSync(cmd, args, { stdio: 'ignore' }); };
const nsExec = (args: string[]): string => run('ip', ['netns', 'exec', NS, ...args]);

/** Why this machine cannot run the remote tests, or null when it can. */
export function remoteSkipReason(): string | null {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root (ip netns, a second dockerd, sshd)';
  for (const [bin, pkg] of [['ip', 'iproute2'], ['openssl', 'openssl'], ['ssh', 'openssh-client'], ['ssh-keygen', 'openssh-client'], ['dockerd', 'docker.io']] as const) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status !== 0) return `no \`${bin}\` here (install ${pkg})`;
  }
  const probe = `slr11probe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `\`ip netns add\` is not permitted here: ${(r.stderr || '').trim().split('\n')[0]}`;
  quiet('ip', ['netns', 'del', probe]);
  return null;
}

function ensureSshd(): string {
  if (existsSync('/usr/sbin/sshd')) return '/usr/sbin/sshd';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Debian's package enables a system sshd service; in this container there is no init to start it.
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'openssh-server'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return '/usr/sbin/sshd';
}

function waitPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tryOnce = (): void => {
      const s = connect({ host, port });
      s.setTimeout(1000);
      s.once('connect', () => { s.destroy(); resolve(); });
      const retry = (): void => { s.destroy(); if (Date.now() > end) reject(new Error(`${host}:${port} did not open within ${timeoutMs} ms`)); else setTimeout(tryOnce, 200); };
      s.once('error', retry);
      s.once('timeout', retry);
    };
    tryOnce();
  });
}

function waitSocket(path: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tryOnce = (): void => {
      const s = connect(path);
      let buf = '';
      s.once('connect', () => s.write('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n'));
      s.on('data', (d) => { buf += d; if (/^HTTP\/1\.[01] 200/.test(buf)) { s.destroy(); resolve(); } });
      const retry = (): void => { s.destroy(); if (Date.now() > end) reject(new Error(`the remote dockerd did not answer on ${path} within ${timeoutMs} ms (log: ${RUN_DIR}/dockerd.log)`)); else setTimeout(tryOnce, 300); };
      s.once('error', retry);
      s.once('end', () => { if (!/^HTTP\/1\.[01] 200/.test(buf)) retry(); });
    };
    tryOnce();
  });
}

function pidAlive(pid: number): boolean { try { process.kill(pid, 0); return true; } catch { return false; } }

async function killPid(pid: number, graceMs: number): Promise<void> {
  if (!pidAlive(pid)) return;
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  const end = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  if (pidAlive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

function readPid(file: string): number | null {
  try { const n = Number(readFileSync(file, 'utf8').trim()); return n > 0 ? n : null; } catch { return null; }
}

/** Stops what an earlier, killed run left behind (by the pids it recorded). */
async function cleanStale(): Promise<void> {
  for (const f of ['sshd.pid', 'docker.pid']) { const pid = readPid(join(RUN_DIR, f)); if (pid) await killPid(pid, 15_000); }
  quiet('ip', ['netns', 'del', NS]);
  quiet('ip', ['link', 'del', VETH_HOST]);
}

function makeCerts(dir: string): { ca: string; wrongCa: string } {
  const o = (args: string[]): void => { run('openssl', args); };
  mkdirSync(dir, { recursive: true });
  const p = (n: string): string => join(dir, n);
  for (const ca of ['ca', 'wrongca']) {
    o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=stagelens-test-${ca}`, '-keyout', p(`${ca}-key.pem`), '-out', p(`${ca}.pem`)]);
  }
  const leaf = (name: string, ca: string, ext: string): void => {
    o(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', p(`${name}-key.pem`), '-out', p(`${name}.csr`)]);
    writeFileSync(p(`${name}.ext`), ext);
    o(['x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${ca}.pem`), '-CAkey', p(`${ca}-key.pem`), '-CAcreateserial', '-days', '2', '-extfile', p(`${name}.ext`), '-out', p(`${name}.pem`)]);
  };
  leaf('server', 'ca', `subjectAltName=IP:${REMOTE_IP}\nextendedKeyUsage=serverAuth\n`);
  leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  leaf('wrongclient', 'wrongca', 'extendedKeyUsage=clientAuth\n');
  return { ca: p('ca.pem'), wrongCa: p('wrongca.pem') };
}

function certDir(dir: string, ca: string, cert: string, key: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ca.pem'), readFileSync(ca));
  writeFileSync(join(dir, 'cert.pem'), readFileSync(cert));
  writeFileSync(join(dir, 'key.pem'), readFileSync(key));
}

function writeContext(cfg: string, name: string, host: string, tlsFrom?: string): void {
  const hash = createHash('sha256').update(name).digest('hex');
  const meta = join(cfg, 'contexts', 'meta', hash);
  mkdirSync(meta, { recursive: true });
  writeFileSync(join(meta, 'meta.json'), JSON.stringify({ Name: name, Metadata: { Description: `Stage Lens test remote (${host})` }, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
  if (tlsFrom) certDir(join(cfg, 'contexts', 'tls', hash, 'docker'), join(tlsFrom, 'ca.pem'), join(tlsFrom, 'cert.pem'), join(tlsFrom, 'key.pem'));
}

/** Builds the namespace, its dockerd (with the busybox fixture) and sshd. Call stop() in `after`. */
export async function startRemoteHost(): Promise<RemoteHost> {
  await cleanStale();
  const sshd = ensureSshd();
  const work = mkdtempSync(join(tmpdir(), 'sl-remote-'));
  const pids: number[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const pid of [...pids].reverse()) await killPid(pid, 20_000);
    quiet('ip', ['netns', 'del', NS]);
    quiet('ip', ['link', 'del', VETH_HOST]);
    for (const f of ['sshd.pid', 'docker.pid', 'docker.sock']) rmSync(join(RUN_DIR, f), { force: true });
    rmSync(work, { recursive: true, force: true });
  };
  try {
    // The link.
    run('ip', ['netns', 'add', NS]);
    run('ip', ['link', 'add', VETH_HOST, 'type', 'veth', 'peer', 'name', VETH_NS]);
    run('ip', ['link', 'set', VETH_NS, 'netns', NS]);
    run('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', VETH_HOST]);
    run('ip', ['link', 'set', VETH_HOST, 'up']);
    nsExec(['ip', 'addr', 'add', `${REMOTE_IP}/24`, 'dev', VETH_NS]);
    nsExec(['ip', 'link', 'set', VETH_NS, 'up']);
    nsExec(['ip', 'link', 'set', 'lo', 'up']);

    // Certificates.
    const certs = join(work, 'certs');
    const { ca, wrongCa } = makeCerts(certs);
    const tlsDir = join(work, 'client-tls');
    certDir(tlsDir, ca, join(certs, 'client.pem'), join(certs, 'client-key.pem'));
    // The client trusts a CA that did not sign the server's certificate, and presents a
    // certificate the server's CA did not sign: refused whichever side checks first.
    const wrongTlsDir = join(work, 'wrong-tls');
    certDir(wrongTlsDir, wrongCa, join(certs, 'wrongclient.pem'), join(certs, 'wrongclient-key.pem'));
    // The right CA, but a client certificate the server's CA did not sign: the server refuses.
    const badClientTlsDir = join(work, 'bad-client-tls');
    certDir(badClientTlsDir, ca, join(certs, 'wrongclient.pem'), join(certs, 'wrongclient-key.pem'));

    // The remote dockerd.
    mkdirSync(RUN_DIR, { recursive: true });
    mkdirSync(DATA_ROOT, { recursive: true });
    const log = openSync(join(RUN_DIR, 'dockerd.log'), 'a');
    // nsenter joins only the network namespace: `ip netns exec` would also remount /sys, hiding
    // the cgroup hierarchy dockerd needs.
    const dockerd = spawn('nsenter', [`--net=/run/netns/${NS}`, '--', 'dockerd',
      '--data-root', DATA_ROOT, '--exec-root', join(RUN_DIR, 'exec'), '--pidfile', join(RUN_DIR, 'docker.pid'),
      '-H', `unix://${SOCK}`, '-H', `tcp://${REMOTE_IP}:${TLS_PORT}`,
      '--tlsverify', '--tlscacert', ca, '--tlscert', join(certs, 'server.pem'), '--tlskey', join(certs, 'server-key.pem'),
      '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
      '--containerd-namespace', 'slr11', '--containerd-plugins-namespace', 'slr11-plugins',
      '--storage-driver', 'overlay2',
    ], { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    dockerd.unref();
    // nsenter execs dockerd in place (no --fork), so this pid is dockerd's.
    pids.push(dockerd.pid!);
    await waitSocket(SOCK, 60_000);
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'fixtures.mjs'), '--host', `unix://${SOCK}`, '--only', 'busybox'], { stdio: ['ignore', 'ignore', 'inherit'] });

    // sshd in the namespace.
    const sshDir = join(work, 'sshd');
    mkdirSync(sshDir, { recursive: true });
    mkdirSync('/run/sshd', { recursive: true });
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stagelens-test-host', '-f', join(sshDir, 'host_ed25519')]);
    const home = join(work, 'home');
    const dotSsh = join(home, '.ssh');
    mkdirSync(dotSsh, { recursive: true, mode: 0o700 });
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stagelens-test-client', '-f', join(dotSsh, 'id_ed25519')]);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stagelens-test-unauthorized', '-f', join(dotSsh, 'id_other')]);
    writeFileSync(join(sshDir, 'authorized_keys'), readFileSync(join(dotSsh, 'id_ed25519.pub')));
    chmodSync(join(sshDir, 'authorized_keys'), 0o600);
    writeFileSync(join(sshDir, 'sshd_config'), [
      `ListenAddress ${REMOTE_IP}:${SSH_PORT}`,
      `HostKey ${join(sshDir, 'host_ed25519')}`,
      `PidFile ${join(RUN_DIR, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(sshDir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
      'UsePAM no', 'StrictModes no', 'X11Forwarding no', 'PrintMotd no',
      // The remote `docker` finds this host's private engine, as a login on a real host finds its own.
      `SetEnv DOCKER_HOST=unix://${SOCK}`,
      '',
    ].join('\n'));
    const sshdLog = openSync(join(RUN_DIR, 'sshd.log'), 'w');
    const sshdProc = spawn('nsenter', [`--net=/run/netns/${NS}`, '--', sshd, '-D', '-e', '-f', join(sshDir, 'sshd_config')], { detached: true, stdio: ['ignore', sshdLog, sshdLog] });
    closeSync(sshdLog);
    sshdProc.unref();
    pids.push(sshdProc.pid!);
    await waitPort(REMOTE_IP, SSH_PORT, 15_000);

    // The client's private ~/.ssh.
    const hostPub = readFileSync(join(sshDir, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(join(dotSsh, 'known_hosts'), `[${REMOTE_IP}]:${SSH_PORT} ${hostPub}\n`);
    writeFileSync(join(dotSsh, 'known_hosts_empty'), '');
    const base = [`  HostName ${REMOTE_IP}`, `  Port ${SSH_PORT}`, '  User root', '  IdentitiesOnly yes', '  GlobalKnownHostsFile /dev/null'];
    const common = [...base, `  IdentityFile ${join(dotSsh, 'id_ed25519')}`];
    writeFileSync(join(dotSsh, 'config'), [
      `Host ${SSH_ALIAS_WRONG_KEY}`, ...base, `  IdentityFile ${join(dotSsh, 'id_other')}`, `  UserKnownHostsFile ${join(dotSsh, 'known_hosts')}`,
      `Host ${SSH_ALIAS}`, ...common, `  UserKnownHostsFile ${join(dotSsh, 'known_hosts')}`,
      `Host ${SSH_ALIAS_UNKNOWN}`, ...common, `  UserKnownHostsFile ${join(dotSsh, 'known_hosts_empty')}`,
      // The address itself (ssh://root@10.211.11.2:2222): IdentityFile adds up over matching
      // sections, so this must not match the aliases above (Host matches the name as typed).
      `Host ${REMOTE_IP}`, `  UserKnownHostsFile ${join(dotSsh, 'known_hosts')}`, '  GlobalKnownHostsFile /dev/null', `  IdentityFile ${join(dotSsh, 'id_ed25519')}`, '  IdentitiesOnly yes',
      '',
    ].join('\n'));
    chmodSync(join(dotSsh, 'config'), 0o600);
    const binDir = join(work, 'bin');
    mkdirSync(binDir);
    const realSsh = run('sh', ['-c', 'command -v ssh']).trim();
    writeFileSync(join(binDir, 'ssh'), `#!/bin/sh\nexec ${realSsh} -F '${join(dotSsh, 'config')}' "$@"\n`);
    chmodSync(join(binDir, 'ssh'), 0o755);

    // Docker contexts.
    const dockerConfig = join(work, 'docker-config');
    const tcpUrl = `tcp://${REMOTE_IP}:${TLS_PORT}`;
    const sshUrl = `ssh://${SSH_ALIAS}`;
    writeContext(dockerConfig, 'slr11-tls', tcpUrl, tlsDir);
    writeContext(dockerConfig, 'slr11-ssh', sshUrl);
    writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ currentContext: 'slr11-tls' }));

    const stat = (n: string): number => Number(readFileSync(`/sys/class/net/${VETH_HOST}/statistics/${n}`, 'utf8').trim());
    return {
      localSocket: `unix://${SOCK}`, tcpUrl, sshUrl, tlsDir, wrongTlsDir, badClientTlsDir, dockerConfig, ctxTls: 'slr11-tls', ctxSsh: 'slr11-ssh',
      binDir, home, veth: VETH_HOST,
      linkBytes: () => ({ tx: stat('tx_bytes'), rx: stat('rx_bytes') }),
      setLink: (up) => { run('ip', ['link', 'set', VETH_HOST, up ? 'up' : 'down']); },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
