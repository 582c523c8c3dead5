// Decodes the `moby.buildkit.trace` aux payloads that `POST /build?version=2` streams: each is a
// base64 `moby.buildkit.v1.StatusResponse` (moby/buildkit api/services/control/control.proto).
// Only the messages and fields Stage Lens reads are declared; protobuf skips the rest, so newer
// engines that add fields still decode.
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto3";
package moby.buildkit.v1;

message Timestamp {
  int64 seconds = 1;
  int32 nanos = 2;
}

message Vertex {
  string digest = 1;
  repeated string inputs = 2;
  string name = 3;
  bool cached = 4;
  Timestamp started = 5;
  Timestamp completed = 6;
  string error = 7;
}

message VertexStatus {
  string ID = 1;
  string vertex = 2;
  string name = 3;
  int64 current = 4;
  int64 total = 5;
  Timestamp timestamp = 6;
  Timestamp started = 7;
  Timestamp completed = 8;
}

message VertexLog {
  string vertex = 1;
  Timestamp timestamp = 2;
  int64 stream = 3;
  bytes msg = 4;
}

message VertexWarning {
  string vertex = 1;
  int64 level = 2;
  bytes short = 3;
  repeated bytes detail = 4;
  string url = 5;
}

message StatusResponse {
  repeated Vertex vertexes = 1;
  repeated VertexStatus statuses = 2;
  repeated VertexLog logs = 3;
  repeated VertexWarning warnings = 4;
}
`;

const StatusResponse = protobuf.parse(SCHEMA, { keepCase: true }).root.lookupType('moby.buildkit.v1.StatusResponse');

export interface BuildkitVertex {
  digest: string;
  inputs: string[];
  name: string;
  cached: boolean;
  /** Epoch milliseconds, null while not started/completed. */
  started: number | null;
  completed: number | null;
  error: string | null;
}

export interface BuildkitVertexStatus {
  id: string;
  vertex: string;
  name: string;
  current: number;
  total: number;
  completed: number | null;
}

export interface BuildkitLog {
  vertex: string;
  /** 1 stdout, 2 stderr. */
  stream: number;
  timestamp: number | null;
  text: string;
}

export interface BuildkitWarning { vertex: string; level: number; short: string; url: string }

export interface BuildkitStatus {
  vertexes: BuildkitVertex[];
  statuses: BuildkitVertexStatus[];
  logs: BuildkitLog[];
  warnings: BuildkitWarning[];
}

interface RawTimestamp { seconds?: number | string | { toNumber(): number }; nanos?: number }

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return 0;
}

function millis(t: RawTimestamp | null | undefined): number | null {
  if (!t) return null;
  const ms = num(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  // Go's zero time encodes as a negative epoch; treat it as "not set".
  return ms > 0 ? ms : null;
}

const text = (b: unknown): string => (b instanceof Uint8Array ? Buffer.from(b).toString('utf8') : typeof b === 'string' ? b : '');

/** Decodes one `aux` payload of a `moby.buildkit.trace` message. Throws on malformed input. */
export function decodeBuildkitStatus(base64: string): BuildkitStatus {
  if (!base64) return { vertexes: [], statuses: [], logs: [], warnings: [] };
  const msg = StatusResponse.decode(Buffer.from(base64, 'base64')) as unknown as {
    vertexes?: { digest?: string; inputs?: string[]; name?: string; cached?: boolean; started?: RawTimestamp; completed?: RawTimestamp; error?: string }[];
    statuses?: { ID?: string; vertex?: string; name?: string; current?: unknown; total?: unknown; completed?: RawTimestamp }[];
    logs?: { vertex?: string; stream?: unknown; msg?: Uint8Array; timestamp?: RawTimestamp }[];
    warnings?: { vertex?: string; level?: unknown; short?: Uint8Array; url?: string }[];
  };
  return {
    vertexes: (msg.vertexes ?? []).map((v) => ({
      digest: v.digest ?? '', inputs: v.inputs ?? [], name: v.name ?? '', cached: !!v.cached,
      started: millis(v.started), completed: millis(v.completed), error: v.error ? v.error : null,
    })),
    statuses: (msg.statuses ?? []).map((s) => ({
      id: s.ID ?? '', vertex: s.vertex ?? '', name: s.name ?? '', current: num(s.current), total: num(s.total), completed: millis(s.completed),
    })),
    logs: (msg.logs ?? []).map((l) => ({ vertex: l.vertex ?? '', stream: num(l.stream), timestamp: millis(l.timestamp), text: text(l.msg) })),
    warnings: (msg.warnings ?? []).map((w) => ({ vertex: w.vertex ?? '', level: num(w.level), short: text(w.short), url: w.url ?? '' })),
  };
}

/** Encodes a status (tests use it to produce realistic trace payloads). */
export function encodeBuildkitStatus(status: Partial<{ vertexes: Partial<BuildkitVertex>[]; logs: Partial<BuildkitLog>[] }>): string {
  const ts = (ms: number | null | undefined): RawTimestamp | undefined => (ms ? { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } : undefined);
  const payload = {
    vertexes: (status.vertexes ?? []).map((v) => ({ digest: v.digest ?? '', inputs: v.inputs ?? [], name: v.name ?? '', cached: !!v.cached, started: ts(v.started), completed: ts(v.completed), error: v.error ?? '' })),
    logs: (status.logs ?? []).map((l) => ({ vertex: l.vertex ?? '', stream: l.stream ?? 1, msg: Buffer.from(l.text ?? ''), timestamp: ts(l.timestamp) })),
  };
  const err = StatusResponse.verify(payload);
  if (err) throw new Error(err);
  return Buffer.from(StatusResponse.encode(StatusResponse.fromObject(payload)).finish()).toString('base64');
}
