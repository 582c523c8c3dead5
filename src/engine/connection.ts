// Finds and connects to a Docker Engine the way the Docker CLI does, so Stage Lens builds on the
// engine the user already uses: an explicit endpoint (setting / --host) wins, then DOCKER_HOST,
// then DOCKER_CONTEXT or the CLI's current context, then the default socket. Connecting is
// bounded in time: a dead or silent endpoint fails in seconds with a message naming it.
import Dockerode from 'dockerode';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { EngineProduct } from '../core/report';
import { SshError, sshDockerodeOptions } from './ssh';

export const DEFAULT_ENDPOINT = 'unix:///var/run/docker.sock';
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

const FIX = 'Start Docker, or set DOCKER_HOST / --host / stageLens.engine.endpoint';

export interface ResolvedEndpoint {
  /** The endpoint as a URL, e.g. `unix:///var/run/docker.sock`, `tcp://10.0.0.5:2376`. */
  url: string;
  /** Where it came from, for messages: `--host/setting`, `DOCKER_HOST`, `context "x"`, `default`. */
  source: string;
  dockerodeOptions: Dockerode.DockerOptions;
}

export interface EngineConnection {
  docker: Dockerode;
  endpoint: string;
  source: string;
  version: string;
  apiVersion: string;
  /** Whether the engine can build with BuildKit (`/build?version=2`). */
  buildkit: boolean;
  /** Docker Engine, or Podman's compat service (whose /build is Buildah whatever is asked). */
  product: EngineProduct;
  /** 'containerd' for Docker's containerd image store, else the graph driver; null if unknown. */
  store: string | null;
}

interface VersionAnswer { Version?: string; ApiVersion?: string; Os?: string; Components?: { Name?: string; Version?: string }[] }
interface InfoAnswer { Driver?: string; DriverStatus?: [string, string][] | null }

/** Podman names itself only in `GET /version` Components; its top-level fields mimic Docker's. */
export function engineProductOf(v: VersionAnswer): { product: EngineProduct; version: string } {
  const podman = (v.Components ?? []).find((c) => /^podman engine$/i.test(c.Name ?? ''));
  if (podman) return { product: 'podman', version: String(podman.Version ?? v.Version ?? '') };
  return { product: 'docker', version: String(v.Version ?? '') };
}

/**
 * The image store from `GET /info`: with the containerd image store, `DriverStatus` carries
 * `driver-type io.containerd.snapshotter.v1` (and `Driver` names the snapshotter, e.g.
 * `overlayfs`); otherwise `Driver` is the graph driver.
 */
export function imageStoreOf(info: InfoAnswer | null): string | null {
  if (!info) return null;
  const status = Array.isArray(info.DriverStatus) ? info.DriverStatus : [];
  if (status.some((kv) => Array.isArray(kv) && kv[0] === 'driver-type' && /^io\.containerd\.snapshotter\./.test(String(kv[1])))) return 'containerd';
  return info.Driver ? String(info.Driver) : null;
}

export class EngineUnreachableError extends Error {
  constructor(readonly endpoint: string, readonly source: string, cause: string) {
    super(`Cannot reach the Docker engine at ${endpoint} (from ${source}): ${cause}. ${FIX}.`);
    this.name = 'EngineUnreachableError';
  }
}

/** Multi-stage builds and `target` arrived with Docker 17.05 (API 1.29). */
export const MIN_API_VERSION = '1.29';

/** The engine answers, but its API is too old for Stage Lens (still "unreachable" for callers' exit codes). */
export class EngineTooOldError extends EngineUnreachableError {
  constructor(endpoint: string, source: string, readonly apiVersion: string, engineVersion: string) {
    super(endpoint, source, `API ${apiVersion} is too old`);
    this.name = 'EngineTooOldError';
    this.message = `The Docker engine at ${endpoint} (from ${source}) is Docker ${engineVersion || '(unknown)'} with API ${apiVersion}; Stage Lens needs API ${MIN_API_VERSION} (Docker 17.05) or newer: upgrade Docker.`;
  }
}

/** A malformed endpoint or an unknown Docker context: the user's configuration is wrong. */
export class EndpointConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'EndpointConfigError'; }
}

interface TlsFiles { ca?: Buffer; cert?: Buffer; key?: Buffer }

function readTls(dir: string | undefined): TlsFiles {
  if (!dir) return {};
  const read = (n: string): Buffer | undefined => { const p = join(dir, n); return existsSync(p) ? readFileSync(p) : undefined; };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

/**
 * Turns an endpoint URL into dockerode options. Every connection field is set explicitly:
 * docker-modem merges its own DOCKER_HOST/DOCKER_CLIENT_TIMEOUT defaults under ours, and a
 * stray environment value must not redirect or time-limit a connection we resolved otherwise.
 */
export function dockerodeOptionsFor(url: string, tls: { verify: boolean; files: TlsFiles; skipVerify?: boolean } = { verify: false, files: {} }): Dockerode.DockerOptions {
  const base: Dockerode.DockerOptions = {
    socketPath: undefined, host: undefined, port: undefined, protocol: undefined,
    ca: undefined, cert: undefined, key: undefined, timeout: undefined,
  };
  if (url.startsWith('/')) return { ...base, socketPath: url };
  let u: URL;
  try { u = new URL(url); } catch { throw new EndpointConfigError(`"${url}" is not a Docker endpoint. Use unix:///path/docker.sock, tcp://host:port or ssh://user@host.`); }
  switch (u.protocol) {
    case 'unix:': {
      const p = decodeURIComponent(u.pathname || '') || (u.host ? `/${u.host}` : '');
      if (!p) throw new EndpointConfigError(`"${url}" names no socket path.`);
      return { ...base, socketPath: p };
    }
    case 'npipe:':
      return { ...base, socketPath: `//${u.host}${u.pathname}`.replace(/\//g, '\\') };
    case 'tcp:': case 'http:': case 'https:': {
      const secure = u.protocol === 'https:' || tls.verify || !!(tls.files.cert && tls.files.key);
      const port = u.port ? Number(u.port) : secure ? 2376 : 2375;
      const opts: Dockerode.DockerOptions = { ...base, host: u.hostname, port, protocol: secure ? 'https' : 'http' };
      if (secure) {
        opts.ca = tls.files.ca; opts.cert = tls.files.cert; opts.key = tls.files.key;
        // A context marked SkipTLSVerify talks TLS without checking the server certificate.
        if (tls.skipVerify) (opts as Record<string, unknown>).checkServerIdentity = () => undefined;
      }
      return opts;
    }
    case 'ssh:':
      // The system OpenSSH client, as the Docker CLI uses it (src/engine/ssh.ts).
      try { return { ...base, ...sshDockerodeOptions(url) }; } catch (e) { throw new EndpointConfigError(`${(e as Error).message}. Use ssh://[user@]host[:port].`); }
    default:
      throw new EndpointConfigError(`Unsupported Docker endpoint scheme "${u.protocol}" in "${url}". Use unix://, tcp:// or ssh://.`);
  }
}

function configDir(opts: { env?: NodeJS.ProcessEnv; dockerConfigDir?: string }): string {
  const env = opts.env ?? process.env;
  return opts.dockerConfigDir ?? env.DOCKER_CONFIG ?? join(homedir(), '.docker');
}

const contextHash = (name: string): string => createHash('sha256').update(name).digest('hex');

interface ContextMeta { name: string; host: string; skipTLSVerify: boolean; tlsDir: string | undefined; description?: string }

function readContext(dir: string, name: string): ContextMeta | null {
  const hash = contextHash(name);
  const metaPath = join(dir, 'contexts', 'meta', hash, 'meta.json');
  if (!existsSync(metaPath)) return null;
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { Name?: string; Metadata?: { Description?: string }; Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } };
    const host = meta.Endpoints?.docker?.Host;
    if (!host) return null;
    const tlsDir = join(dir, 'contexts', 'tls', hash, 'docker');
    return { name: meta.Name ?? name, host, skipTLSVerify: !!meta.Endpoints?.docker?.SkipTLSVerify, tlsDir: existsSync(tlsDir) ? tlsDir : undefined, description: meta.Metadata?.Description };
  } catch {
    return null;
  }
}

/** The context (with TLS files) whose endpoint is `url`, if any. */
function contextWithHost(dir: string, url: string): ContextMeta | null {
  const metaRoot = join(dir, 'contexts', 'meta');
  if (!existsSync(metaRoot)) return null;
  for (const hash of readdirSync(metaRoot).sort()) {
    try {
      const name = (JSON.parse(readFileSync(join(metaRoot, hash, 'meta.json'), 'utf8')) as { Name?: string }).Name;
      const ctx = name ? readContext(dir, name) : null;
      if (ctx && ctx.host === url && ctx.tlsDir) return ctx;
    } catch { /* unreadable context: skip */ }
  }
  return null;
}

function currentContextName(dir: string): string | null {
  const p = join(dir, 'config.json');
  if (!existsSync(p)) return null;
  try {
    const cfg = JSON.parse(readFileSync(p, 'utf8')) as { currentContext?: string };
    return cfg.currentContext || null;
  } catch {
    return null;
  }
}

/** Decides which engine to talk to, without contacting it. */
export function resolveEndpoint(opts: { explicit?: string; env?: NodeJS.ProcessEnv; dockerConfigDir?: string } = {}): ResolvedEndpoint {
  const env = opts.env ?? process.env;
  const explicit = opts.explicit?.trim();
  if (explicit) {
    // Select Docker Endpoint… stores a context's Host: a TLS context's certificates go with it.
    const ctx = /^(tcp|https):/.test(explicit) ? contextWithHost(configDir(opts), explicit) : null;
    const files = ctx ? readTls(ctx.tlsDir) : {};
    const tls = ctx && files.cert && files.key ? { verify: true, files, skipVerify: ctx.skipTLSVerify } : undefined;
    return { url: explicit, source: '--host/setting', dockerodeOptions: dockerodeOptionsFor(explicit, tls) };
  }

  const dockerHost = env.DOCKER_HOST?.trim();
  if (dockerHost) {
    const verify = !!env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0';
    const certDir = env.DOCKER_CERT_PATH || (verify ? join(configDir(opts), '') : undefined);
    return { url: dockerHost, source: 'DOCKER_HOST', dockerodeOptions: dockerodeOptionsFor(dockerHost, { verify, files: verify || env.DOCKER_CERT_PATH ? readTls(certDir) : {} }) };
  }

  const dir = configDir(opts);
  const envContext = env.DOCKER_CONTEXT?.trim();
  const name = envContext || currentContextName(dir);
  if (name && name !== 'default') {
    const ctx = readContext(dir, name);
    const origin = envContext ? `DOCKER_CONTEXT=${name}` : `docker context "${name}"`;
    if (!ctx) throw new EndpointConfigError(`Docker context "${name}" (${envContext ? 'DOCKER_CONTEXT' : `currentContext in ${join(dir, 'config.json')}`}) was not found. Run \`docker context ls\`, or set DOCKER_HOST / --host.`);
    const files = readTls(ctx.tlsDir);
    return { url: ctx.host, source: origin, dockerodeOptions: dockerodeOptionsFor(ctx.host, { verify: !!(files.cert && files.key), files, skipVerify: ctx.skipTLSVerify }) };
  }
  return { url: DEFAULT_ENDPOINT, source: 'default', dockerodeOptions: dockerodeOptionsFor(DEFAULT_ENDPOINT) };
}

export interface EndpointChoice { url: string; source: string; label: string; description?: string; current: boolean }

/** Every endpoint the user could mean, for the extension's endpoint picker. */
export function listEndpoints(opts: { env?: NodeJS.ProcessEnv; dockerConfigDir?: string } = {}): EndpointChoice[] {
  const env = opts.env ?? process.env;
  const dir = configDir(opts);
  let current: string | null = null;
  try { current = resolveEndpoint({ env, dockerConfigDir: opts.dockerConfigDir }).url; } catch { /* a broken context still lists the others */ }
  const out: EndpointChoice[] = [];
  const add = (c: Omit<EndpointChoice, 'current'>): void => {
    if (!out.some((o) => o.url === c.url)) out.push({ ...c, current: c.url === current });
  };
  if (env.DOCKER_HOST?.trim()) add({ url: env.DOCKER_HOST.trim(), source: 'DOCKER_HOST', label: 'DOCKER_HOST' });
  const metaRoot = join(dir, 'contexts', 'meta');
  if (existsSync(metaRoot)) {
    for (const hash of readdirSync(metaRoot).sort()) {
      try {
        const meta = JSON.parse(readFileSync(join(metaRoot, hash, 'meta.json'), 'utf8')) as { Name?: string };
        if (!meta.Name) continue;
        const ctx = readContext(dir, meta.Name);
        if (ctx) add({ url: ctx.host, source: `docker context "${ctx.name}"`, label: `context: ${ctx.name}`, description: ctx.description });
      } catch { /* unreadable context: skip */ }
    }
  }
  add({ url: DEFAULT_ENDPOINT, source: 'default', label: 'default socket' });
  return out;
}

export function apiAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0; const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * Resolves the endpoint and checks the engine answers (`GET /version`) within `timeoutMs`.
 * Throws EngineUnreachableError (endpoint named, fix included), EndpointConfigError for bad
 * configuration, or the signal's reason when the caller aborts.
 */
export async function connectEngine(opts: { explicit?: string; timeoutMs?: number; signal?: AbortSignal; env?: NodeJS.ProcessEnv; dockerConfigDir?: string } = {}): Promise<EngineConnection> {
  const ep = resolveEndpoint(opts);
  const docker = new Dockerode(ep.dockerodeOptions);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const ctl = new AbortController();
  const onAbort = (): void => ctl.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; ctl.abort(new Error('timeout')); }, timeoutMs);
  try {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('Cancelled.');
    // The modem honours abortSignal by destroying the request, which covers an endpoint that
    // accepts the connection and then never answers.
    const aborted = new Promise<never>((_, reject) => ctl.signal.addEventListener('abort', () => reject(ctl.signal.reason), { once: true }));
    // Requests go without an API version prefix, so the engine answers in its own (current)
    // version: engines 29.0–29.2 refuse clients that pin anything below 1.44.
    const v = await Promise.race([
      (docker.version as unknown as (o: { abortSignal: AbortSignal }) => Promise<VersionAnswer>).call(docker, { abortSignal: ctl.signal }),
      aborted,
    ]);
    const apiVersion = String(v.ApiVersion ?? '');
    const os = String(v.Os ?? 'linux');
    const { product, version } = engineProductOf(v);
    if (apiVersion && !apiAtLeast(apiVersion, MIN_API_VERSION)) throw new EngineTooOldError(ep.url, ep.source, apiVersion, version);
    // The store decides what inspect `Size` means; an engine that cannot say still builds.
    const info = await Promise.race([
      (docker.info as unknown as (o: { abortSignal: AbortSignal }) => Promise<InfoAnswer>).call(docker, { abortSignal: ctl.signal }).catch(() => null),
      aborted,
    ]);
    return {
      docker, endpoint: ep.url, source: ep.source, version, apiVersion, product, store: imageStoreOf(info),
      // BuildKit through /build arrived with API 1.39 (Docker 18.09) and only for Linux engines;
      // Podman accepts version=2 and builds with Buildah anyway.
      buildkit: product === 'docker' && os === 'linux' && apiAtLeast(apiVersion, '1.39'),
    };
  } catch (e) {
    if (e instanceof EngineTooOldError) throw e;
    if (opts.signal?.aborted) throw opts.signal.reason ?? e;
    const special = e instanceof SshError ? e : tlsFailure(e);
    if (special) { const err = new EngineUnreachableError(ep.url, ep.source, special.reason); err.message = `Cannot reach the Docker engine at ${ep.url} (from ${ep.source}): ${special.reason}. ${special.fix}.`; throw err; }
    // A busy engine (Podman's service while it builds) can answer late: say so beside the usual fix.
    if (timedOut) throw new EngineUnreachableError(ep.url, ep.source, `no answer within ${Math.round(timeoutMs / 100) / 10} s (a busy engine can answer late: retry, or give the CLI --timeout SECONDS)`);
    throw new EngineUnreachableError(ep.url, ep.source, describeConnectError(e));
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** A TLS handshake that failed on a certificate: say which side refused and where the files are. */
function tlsFailure(e: unknown): { reason: string; fix: string } | null {
  const err = e as { code?: string; message?: string };
  const code = String(err?.code ?? '');
  const files = 'the TLS files (DOCKER_CERT_PATH, or the context\'s contexts/tls folder: ca.pem, cert.pem, key.pem)';
  if (/UNABLE_TO_VERIFY|SELF_SIGNED|CERT_SIGNATURE_FAILURE|UNABLE_TO_GET_ISSUER/.test(code)) {
    return { reason: `the engine's TLS certificate is not signed by the CA Stage Lens was given (${err.message})`, fix: `Check that ${files} come from this engine's CA` };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { reason: `the engine's TLS certificate is for another host name (${err.message})`, fix: 'Use the host name the certificate names, or reissue it with this name in subjectAltName' };
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return { reason: `the engine's TLS certificate is not valid now (${code})`, fix: 'Renew the engine\'s certificate' };
  if (/ALERT_BAD_CERTIFICATE|CERTIFICATE_REQUIRED|ALERT_UNKNOWN_CA|ALERT_CERTIFICATE_UNKNOWN/.test(code) || /alert (bad certificate|certificate required|unknown ca)/.test(String(err?.message))) {
    return { reason: 'the engine refused Stage Lens\'s client certificate', fix: `Give a client certificate signed by the engine's CA in ${files}` };
  }
  return null;
}

function describeConnectError(e: unknown): string {
  const err = e as { code?: string; statusCode?: number; message?: string };
  switch (err?.code) {
    case 'ENOENT': return 'the socket does not exist';
    case 'ECONNREFUSED': return 'connection refused';
    case 'EACCES': return 'permission denied (is your user in the docker group?)';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'host not found';
    case 'ETIMEDOUT': case 'EHOSTUNREACH': case 'ENETUNREACH': return 'host unreachable';
    default: break;
  }
  if (err?.statusCode) return `the endpoint answered HTTP ${err.statusCode}, not like a Docker engine`;
  const m = String(err?.message ?? e).split('\n')[0]!;
  return m.length > 160 ? `${m.slice(0, 160)}…` : m;
}
