// Reaches a Docker engine at ssh://[user@]host[:port] the way the Docker CLI does: every HTTP
// connection is a system `ssh … -- host docker system dial-stdio` child process whose stdin/stdout
// carry the HTTP bytes. Running the user's own OpenSSH client (not a JavaScript SSH library) is
// what makes ~/.ssh/config (Host aliases, User, Port, IdentityFile, ProxyJump), default keys, the
// agent and known_hosts behave exactly as they do for `docker -H ssh://…`.
//
// BatchMode=yes: ssh never prompts (there is no terminal to answer), so an unknown host key or a
// refused key fails at once with a message on stderr, which is turned into an error naming the fix.
// ConnectTimeout and ServerAlive* bound the time a dead or vanished host can hold a request.
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, type AgentOptions } from 'node:http';
import { Duplex } from 'node:stream';

export interface SshTarget { host: string; user?: string; port?: number }

/** An ssh failure with its cause (one line) and what the user can do about it. */
export class SshError extends Error {
  constructor(readonly reason: string, readonly fix: string) {
    super(`${reason}. ${fix}`);
    this.name = 'SshError';
  }
}

/** Parses ssh://[user@]host[:port]; the host may be an alias from ~/.ssh/config. */
export function parseSshUrl(url: string): SshTarget {
  const u = new URL(url);
  if (u.protocol !== 'ssh:') throw new Error(`not an ssh:// URL: ${url}`);
  if (u.pathname && u.pathname !== '/') throw new Error(`"${url}": an ssh:// endpoint takes no path (the remote engine is the one its \`docker\` CLI reaches)`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new Error(`"${url}" names no host`);
  return { host, user: u.username ? decodeURIComponent(u.username) : undefined, port: u.port ? Number(u.port) : undefined };
}

export interface SshOptions {
  /** Seconds ssh may take to open the TCP connection (ssh's ConnectTimeout). */
  connectTimeoutS?: number;
  /**
   * The ssh program and any leading options, e.g. ['ssh', '-F', '/path/config']. Default: the
   * STAGELENS_SSH_COMMAND environment variable (split on spaces, like GIT_SSH_COMMAND without
   * quoting), else `ssh` found on PATH.
   */
  command?: string[];
}

function defaultCommand(): string[] {
  const v = process.env.STAGELENS_SSH_COMMAND?.trim();
  return v ? v.split(/\s+/) : ['ssh'];
}

/**
 * The ssh command line, in docker/cli's connhelper shape. Port and user are only passed when the
 * URL names them, so ~/.ssh/config's User/Port apply otherwise.
 */
export function sshArgs(t: SshTarget, o: SshOptions = {}): string[] {
  const args = [
    '-o', `ConnectTimeout=${o.connectTimeoutS ?? 10}`,
    '-o', 'BatchMode=yes',
    // A silent peer (link down, host gone) ends the connection within ~15 s instead of TCP's minutes.
    '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3',
    '-T',
  ];
  if (t.user) args.push('-l', t.user);
  if (t.port) args.push('-p', String(t.port));
  args.push('--', t.host, 'docker', 'system', 'dial-stdio');
  return args;
}

/** Turns ssh's stderr (and exit code) into a cause and a fix. */
export function describeSshFailure(t: SshTarget, stderr: string, code: number | null): SshError {
  const where = `${t.user ? `${t.user}@` : ''}${t.host}${t.port ? `:${t.port}` : ''}`;
  const keyscan = `ssh-keyscan${t.port ? ` -p ${t.port}` : ''} ${t.host} >> ~/.ssh/known_hosts`;
  const once = `ssh${t.port ? ` -p ${t.port}` : ''} ${t.user ? `${t.user}@` : ''}${t.host}`;
  const line = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^Warning: Permanently added/.test(l));
  const first = (line.find((l) => !/^@+$|^\s*$/.test(l)) ?? '').slice(0, 200);
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) {
    return new SshError(`ssh: the host key of ${where} has CHANGED since it was recorded in known_hosts`, `If the host was really reinstalled, remove the old key with \`ssh-keygen -R ${t.port ? `'[${t.host}]:${t.port}'` : t.host}\` and check the new one; otherwise do not connect`);
  }
  if (/Host key verification failed|No \S+ host key is known|host key is not known/i.test(stderr)) {
    return new SshError(`ssh: the host key of ${where} is not in known_hosts, and ssh does not accept unknown hosts without asking`, `Check and record it: connect once with \`${once}\`, or run \`${keyscan}\` and verify the fingerprint`);
  }
  if (/Permission denied \(|Too many authentication failures/i.test(stderr)) {
    return new SshError(`ssh: ${where} refused every key offered (${first})`, `Check that \`${once} docker version\` works: add your public key to the remote ~/.ssh/authorized_keys (ssh-copy-id), load it into ssh-agent, or set IdentityFile in ~/.ssh/config`);
  }
  if (/Could not resolve hostname/i.test(stderr)) {
    return new SshError(`ssh: cannot resolve the host "${t.host}"`, 'Check the name in the endpoint, or define it as a Host alias in ~/.ssh/config');
  }
  if (/Connection refused|Connection timed out|No route to host|Network is unreachable|Operation timed out|Connection reset|Connection closed by/i.test(stderr)) {
    return new SshError(`ssh: cannot reach ${where} (${first})`, 'Check that the host is up and its sshd listens on that port');
  }
  if (code === 127 || /docker: (command )?not found|command not found|No such file or directory/i.test(stderr)) {
    return new SshError(`ssh: logged in to ${where}, but it has no \`docker\` command (${first || `exit code ${code}`})`, 'Install the Docker CLI on the remote host (it runs `docker system dial-stdio`), and make sure it is on PATH for non-interactive ssh sessions');
  }
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|permission denied while trying to connect/i.test(stderr)) {
    return new SshError(`ssh: ${where} runs \`docker\`, but it cannot reach its engine (${first})`, 'Start Docker on the remote host, or give the remote user access to its socket (the docker group)');
  }
  return new SshError(`ssh to ${where} failed${first ? `: ${first}` : code !== null ? ` (exit code ${code})` : ''}`, `Check that \`${once} docker system dial-stdio\` works from a terminal`);
}

/**
 * One HTTP connection over one ssh child process. Looks enough like a net.Socket for Node's
 * http client and Agent (setTimeout/setNoDelay/setKeepAlive/ref/unref), and for an upgraded
 * connection (the BuildKit session's h2c stream) it is just a duplex byte stream.
 */
class SshStdioSocket extends Duplex {
  private child: ChildProcess;
  private stderr = '';
  private gotData = false;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  // Mimic net.Socket fields the http client and Agent read.
  readonly remoteAddress: string;
  readonly remotePort: number | undefined;
  connecting = false;

  constructor(readonly target: SshTarget, o: SshOptions) {
    super({ allowHalfOpen: false });
    this.remoteAddress = target.host;
    this.remotePort = target.port;
    const [program, ...lead] = o.command ?? defaultCommand();
    this.child = spawn(program!, [...lead, ...sshArgs(target, o)], { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const child = this.child;
    child.on('error', (e: NodeJS.ErrnoException) => {
      this.destroy(e.code === 'ENOENT'
        ? new SshError(`no \`${program}\` program here, needed for the ssh:// endpoint`, 'Install the OpenSSH client (Debian/Ubuntu: `apt-get install openssh-client`), set STAGELENS_SSH_COMMAND, or use a tcp:// endpoint with TLS')
        : new SshError(`cannot run ssh: ${e.message}`, 'Check the OpenSSH client installation'));
    });
    child.stdout!.on('data', (c: Buffer) => {
      this.gotData = true;
      this.touch();
      if (!this.push(c)) child.stdout!.pause();
    });
    // Without a single byte from the engine, the end is a failure ssh explains on stderr: wait for
    // the exit (below) rather than ending the stream with a bare "socket hang up".
    child.stdout!.on('end', () => { if (this.gotData) this.push(null); });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => { if (this.stderr.length < 8192) this.stderr += c; });
    child.stdin!.on('error', () => { /* the process exit says what went wrong */ });
    // 'close' comes after stdout/stderr are drained, so the whole of ssh's message is there.
    child.on('close', (code, sig) => {
      if (this.destroyed) return;
      // A clean exit after the engine answered is an ordinary end of connection; anything else
      // before a single byte arrived is a connection failure ssh explained on stderr.
      if (!this.gotData || (code !== 0 && sig === null && this.stderr.trim())) {
        if (!this.gotData) { this.destroy(describeSshFailure(this.target, this.stderr, code)); return; }
        const e = new Error(`the ssh connection to ${this.target.host} ended: ${this.stderr.trim().split('\n').pop()}`) as NodeJS.ErrnoException;
        e.code = 'ECONNRESET';
        this.destroy(e);
        return;
      }
      this.push(null);
    });
  }

  override _read(): void { this.child.stdout?.resume(); }

  override _write(chunk: Buffer, enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.touch();
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed) { cb(new Error('the ssh connection is closed')); return; }
    stdin.write(chunk, enc, (e) => cb(e ?? null));
  }

  override _final(cb: (e?: Error | null) => void): void { this.child.stdin?.end(); cb(); }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.child.stdin?.destroy();
    this.child.stdout?.destroy();
    // Closing stdin ends a healthy dial-stdio; the signal covers a hung ssh (dead link).
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    cb(err);
  }

  private touch(): void {
    if (this.idleMs > 0) { if (this.idleTimer) clearTimeout(this.idleTimer); this.idleTimer = setTimeout(() => this.emit('timeout'), this.idleMs); this.idleTimer.unref?.(); }
  }

  setTimeout(ms: number, cb?: () => void): this {
    this.idleMs = ms;
    // As net.Socket does: a callback is added once, and ms=0 with the same callback removes it.
    if (cb) { this.removeListener('timeout', cb); if (ms > 0) this.once('timeout', cb); }
    if (ms === 0 && this.idleTimer) { clearTimeout(this.idleTimer); this.idleTimer = undefined; } else this.touch();
    return this;
  }

  setNoDelay(): this { return this; }
  setKeepAlive(): this { return this; }

  /** An idle pooled connection must not keep the process (e.g. the CLI) alive. */
  unref(): this {
    this.child.unref();
    (this.child.stdout as unknown as { unref?: () => void })?.unref?.();
    (this.child.stdin as unknown as { unref?: () => void })?.unref?.();
    (this.child.stderr as unknown as { unref?: () => void })?.unref?.();
    return this;
  }

  ref(): this {
    this.child.ref();
    (this.child.stdout as unknown as { ref?: () => void })?.ref?.();
    (this.child.stdin as unknown as { ref?: () => void })?.ref?.();
    (this.child.stderr as unknown as { ref?: () => void })?.ref?.();
    return this;
  }
}

/**
 * An http.Agent whose connections are ssh child processes. Kept-alive connections are reused
 * (one ssh handshake serves many API calls) and closed after a few idle seconds.
 */
export class SshAgent extends Agent {
  constructor(readonly target: SshTarget, private readonly sshOptions: SshOptions = {}, agentOptions: AgentOptions = {}) {
    super({ keepAlive: true, maxFreeSockets: 2, timeout: 4000, ...agentOptions });
  }

  override createConnection(): Duplex {
    return new SshStdioSocket(this.target, this.sshOptions);
  }
}

/** dockerode options for an ssh:// endpoint: plain HTTP, every connection made by the SshAgent. */
export function sshDockerodeOptions(url: string, o: SshOptions = {}): { protocol: 'http'; socketPath: string; agent: SshAgent } {
  const t = parseSshUrl(url);
  // A socketPath, not a host: VS Code's extension host replaces the agent of every request to a
  // host with its proxy agent (http.proxySupport), which would resolve a host name and never run
  // ssh; requests with a socketPath are left alone. The agent ignores the path; it only names the
  // connection (Agent pools by it) and never reaches the filesystem.
  return { protocol: 'http', socketPath: url, agent: new SshAgent(t, o) };
}
