// A minimal gRPC server on one Node http2 session: the daemon is the gRPC client on the
// session socket and calls the methods we expose. Framing is gRPC's 5-byte prefix; messages are
// protobufjs-encoded by the handlers. Metadata comes from the raw header list because Node joins
// repeated headers with ", ", which would merge the daemon's repeated pattern values.
import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { FrameDecoder, frame } from './wire';

export const GRPC_STATUS = { OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, NOT_FOUND: 5, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14 } as const;

export class GrpcError extends Error {
  constructor(readonly code: number, message: string) { super(message); this.name = 'GrpcError'; }
}

export interface ServerCall {
  readonly method: string;
  /** Custom metadata: lower-case names, every value in arrival order. */
  readonly metadata: Map<string, string[]>;
  /** Incoming messages; ends when the client half-closes. */
  messages(): AsyncIterable<Buffer>;
  /** Sends one message, waiting while the peer's flow-control window is full. */
  write(msg: Uint8Array): Promise<void>;
  /** Aborted when the client cancels or the connection drops. */
  readonly signal: AbortSignal;
}

export type Handler = (call: ServerCall) => Promise<void>;

const WRITE_AHEAD = 1 << 20;

const RESERVED = new Set(['content-type', 'te', 'user-agent', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding']);

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
function encodeMessage(m: string): string {
  return Buffer.from(m, 'utf8').reduce((s, b) => s + (b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`), '');
}

function metadataOf(rawHeaders: string[]): Map<string, string[]> {
  const md = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name.startsWith(':') || RESERVED.has(name)) continue;
    const list = md.get(name) ?? [];
    list.push(rawHeaders[i + 1]!);
    md.set(name, list);
  }
  return md;
}

class Call implements ServerCall {
  readonly metadata: Map<string, string[]>;
  private readonly ctl = new AbortController();
  private readonly queue: Buffer[] = [];
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly decoder = new FrameDecoder();

  constructor(readonly method: string, private readonly stream: ServerHttp2Stream, rawHeaders: string[]) {
    this.metadata = metadataOf(rawHeaders);
    stream.on('data', (chunk: Buffer) => {
      try { this.queue.push(...this.decoder.push(chunk)); } catch (e) { this.failure = e as Error; stream.close(); }
      this.notify();
    });
    stream.on('end', () => { this.ended = true; this.notify(); });
    stream.on('close', () => { this.ended = true; if (!this.ctl.signal.aborted) this.ctl.abort(new GrpcError(GRPC_STATUS.CANCELLED, 'the caller closed the stream')); this.notify(); });
    stream.on('error', () => { /* 'close' follows and aborts the call */ });
  }

  get signal(): AbortSignal { return this.ctl.signal; }

  private notify(): void { const w = this.wake; this.wake = null; w?.(); }

  async *messages(): AsyncIterable<Buffer> {
    for (;;) {
      if (this.failure) throw this.failure;
      const next = this.queue.shift();
      if (next) { yield next; continue; }
      if (this.ended) return;
      await new Promise<void>((r) => { this.wake = r; });
    }
  }

  async write(msg: Uint8Array): Promise<void> {
    if (this.stream.destroyed || this.stream.closed) throw new GrpcError(GRPC_STATUS.CANCELLED, 'the caller closed the stream');
    this.stream.write(frame(msg));
    // Http2Stream's 16 kB high-water mark would stop us after every chunk and leave the window
    // the daemon grants unused while we wait for 'drain'; keep up to WRITE_AHEAD queued instead.
    if (this.stream.writableLength < WRITE_AHEAD) return;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => { this.stream.off('drain', done); this.stream.off('close', closed); resolve(); };
      const closed = (): void => { this.stream.off('drain', done); reject(new GrpcError(GRPC_STATUS.CANCELLED, 'the caller closed the stream')); };
      this.stream.once('drain', done);
      this.stream.once('close', closed);
    });
  }
}

function respondStatus(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  if (!stream.headersSent) {
    // Trailers-only response.
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), ...(message ? { 'grpc-message': encodeMessage(message) } : {}) }, { endStream: true });
    return;
  }
  stream.once('wantTrailers', () => {
    try { stream.sendTrailers({ 'grpc-status': String(code), ...(message ? { 'grpc-message': encodeMessage(message) } : {}) }); } catch { /* stream gone */ }
  });
  stream.end();
}

/** Serves `handlers` (by full method path, e.g. `/grpc.health.v1.Health/Check`) on `session`. */
export function serveGrpc(session: ServerHttp2Session, handlers: ReadonlyMap<string, Handler>, onError?: (method: string, e: Error) => void): void {
  session.on('stream', (stream: ServerHttp2Stream, headers: Record<string, string | string[] | undefined>, _flags: number, rawHeaders: string[]) => {
    const method = String(headers[':path'] ?? '');
    stream.on('error', () => { /* reported through the call */ });
    const handler = handlers.get(method);
    if (!handler) {
      respondStatus(stream, GRPC_STATUS.UNIMPLEMENTED, `unknown method ${method}`);
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    const call = new Call(method, stream, rawHeaders ?? []);
    handler(call).then(
      () => respondStatus(stream, GRPC_STATUS.OK, ''),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        onError?.(method, err);
        respondStatus(stream, err instanceof GrpcError ? err.code : GRPC_STATUS.UNKNOWN, err.message);
      },
    );
  });
}
