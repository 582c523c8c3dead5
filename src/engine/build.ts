// One `POST /build` and the decoding of its JSON message stream, for both builders. Stage
// orchestration lives in analyze.ts; this file only knows how to run a single target.
import type Dockerode from 'dockerode';
import type { Readable } from 'node:stream';
import type { BuilderKind } from '../core/report';
import { decodeBuildkitStatus, type BuildkitLog, type BuildkitStatus, type BuildkitVertex } from './buildkit-status';

export interface BuildRequest {
  docker: Dockerode;
  /**
   * The build context: a tar body, or a BuildKit session that serves the context and the
   * Dockerfile (`remote=client-session`, empty body). See context.ts `openContextTransport`.
   */
  context?: { body: Readable } | { sessionId: string };
  /** A tar body (the same as `context: { body }`). */
  body?: Readable;
  dockerfileName: string;
  builder: BuilderKind;
  target: string;
  tag: string;
  labels: Record<string, string>;
  buildArgs?: Record<string, string>;
  /** `none`, `host`, a network name; undefined/`default` uses the engine's default. */
  network?: string;
  signal?: AbortSignal;
  /** Build without the engine's cache (`docker build --no-cache`); benchmarks use it. */
  noCache?: boolean;
  onVertex?: (v: BuildkitVertex) => void;
  onLog?: (l: BuildkitLog) => void;
  /** Classic builder output, one line at a time. */
  onStream?: (line: string) => void;
}

export interface BuildResult {
  imageId: string | null;
  /** The engine's error message when the build failed. */
  error: string | null;
  aborted: boolean;
  /** Final state of every BuildKit vertex, by digest, in first-seen order. */
  vertexes: Map<string, BuildkitVertex>;
}

interface BuildMessage {
  id?: string;
  aux?: unknown;
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Merges a vertex update into what is known: updates carry only what changed. */
function mergeVertex(prev: BuildkitVertex | undefined, v: BuildkitVertex): BuildkitVertex {
  if (!prev) return v;
  return {
    digest: v.digest,
    inputs: v.inputs.length ? v.inputs : prev.inputs,
    name: v.name || prev.name,
    cached: v.cached || prev.cached,
    started: v.started ?? prev.started,
    completed: v.completed ?? prev.completed,
    error: v.error ?? prev.error,
  };
}

export function runBuild(req: BuildRequest): Promise<BuildResult> {
  const options: Record<string, string> = {
    version: req.builder === 'buildkit' ? '2' : '1',
    dockerfile: req.dockerfileName,
    target: req.target,
    t: req.tag,
    labels: JSON.stringify(req.labels),
    rm: 'true',
    // Remove intermediate containers of the classic builder even when a step fails.
    forcerm: 'true',
  };
  if (req.buildArgs && Object.keys(req.buildArgs).length) options.buildargs = JSON.stringify(req.buildArgs);
  if (req.network && req.network !== 'default') options.networkmode = req.network;
  if (req.noCache) options.nocache = 'true';
  const ctx = req.context ?? (req.body ? { body: req.body } : null);
  if (!ctx) throw new Error('runBuild needs a context: a tar body or a session');
  const body = 'body' in ctx ? ctx.body : null;
  if (!body) {
    if (req.builder !== 'buildkit') throw new Error('a session context needs the BuildKit builder');
    options.remote = 'client-session';
    options.session = (ctx as { sessionId: string }).sessionId;
  }

  const result: BuildResult = { imageId: null, error: null, aborted: false, vertexes: new Map() };
  return new Promise<BuildResult>((resolve) => {
    let settled = false;
    let response: Readable | null = null;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      req.signal?.removeEventListener('abort', onAbort);
      if (req.signal?.aborted) result.aborted = true;
      resolve(result);
    };
    const onAbort = (): void => {
      result.aborted = true;
      // Closing the connection is what makes the engine cancel the build.
      response?.destroy();
      body?.destroy();
      finish();
    };
    if (req.signal?.aborted) { result.aborted = true; finish(); return; }
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const handle = (msg: BuildMessage): void => {
      if (msg.id === 'moby.buildkit.trace' && typeof msg.aux === 'string') {
        let status: BuildkitStatus;
        try { status = decodeBuildkitStatus(msg.aux); } catch { return; }
        for (const v of status.vertexes) {
          const merged = mergeVertex(result.vertexes.get(v.digest), v);
          result.vertexes.set(v.digest, merged);
          req.onVertex?.(merged);
        }
        for (const l of status.logs) req.onLog?.(l);
        return;
      }
      if (msg.aux && typeof msg.aux === 'object' && typeof (msg.aux as { ID?: unknown }).ID === 'string') {
        result.imageId = (msg.aux as { ID: string }).ID;
        return;
      }
      if (msg.errorDetail || msg.error) {
        result.error = msg.errorDetail?.message || msg.error || 'build failed';
        return;
      }
      if (typeof msg.stream === 'string') {
        for (const line of msg.stream.split(/\r?\n/)) if (line.trim()) req.onStream?.(line);
        const built = /Successfully built ([0-9a-f]{12,64})/.exec(msg.stream);
        if (built && !result.imageId) result.imageId = built[1]!;
      }
    };

    req.docker.modem.dial({
      // With a session the body is empty: BuildKit pulls the files through the session.
      path: '/build?', method: 'POST', file: body ?? Buffer.alloc(0), isStream: true, abortSignal: req.signal,
      options, statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
    }, (err: unknown, stream: unknown) => {
      if (settled) { (stream as Readable | undefined)?.destroy?.(); return; }
      if (err) {
        if (!req.signal?.aborted) result.error = connectionLost(engineMessage(err));
        finish();
        return;
      }
      response = stream as Readable;
      let buf = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          try { handle(JSON.parse(line) as BuildMessage); } catch { /* a non-JSON line carries nothing we use */ }
        }
      });
      response.on('end', () => {
        const rest = buf.trim();
        if (rest) { try { handle(JSON.parse(rest) as BuildMessage); } catch { /* ignore */ } }
        if (!result.error && !result.imageId && !req.signal?.aborted) result.error = 'The engine ended the build without an image id.';
        finish();
      });
      response.on('error', (e: Error) => {
        if (!req.signal?.aborted && !result.error) result.error = connectionLost(e.message);
        finish();
      });
      response.on('close', finish);
    });
  });
}

/**
 * Node reports an engine that stopped or restarted mid-build as a bare "aborted" or "socket hang
 * up"; say what happened and what to do instead (reliability suite finding).
 */
function connectionLost(message: string): string {
  return /^(aborted|socket hang up|read ECONNRESET|write EPIPE|connect ECONNREFUSED.*|connect ENOENT.*)$/i.test(message.trim())
    ? `The connection to the Docker engine was lost during the build (${message.trim()}): check that the engine is running, then analyze again.`
    : message;
}

/** The engine's own words from a dockerode error (its JSON `message`), else the error text. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string } | string; message?: string };
  if (e?.json && typeof e.json === 'object' && e.json.message) return e.json.message;
  if (typeof e?.json === 'string' && e.json.trim()) return e.json.trim();
  // docker-modem prefixes "(HTTP code 400) bad parameter - "; the rest is the engine's text.
  return String(e?.message ?? err).replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}
