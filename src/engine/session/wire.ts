// Messages of the BuildKit session services Stage Lens serves, declared with the fields the
// daemon uses (tonistiigi/fsutil types/stat.proto + wire.proto, grpc.health.v1), and the gRPC
// length-prefixed message framing. protobufjs encodes and decodes; unknown fields are skipped.
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto3";
package fsutil.types;

message Stat {
  string path = 1;
  uint32 mode = 2;
  uint32 uid = 3;
  uint32 gid = 4;
  int64 size = 5;
  int64 modTime = 6;
  string linkname = 7;
  int64 devmajor = 8;
  int64 devminor = 9;
  map<string, bytes> xattrs = 10;
}

message Packet {
  enum PacketType {
    PACKET_STAT = 0;
    PACKET_REQ = 1;
    PACKET_DATA = 2;
    PACKET_FIN = 3;
    PACKET_ERR = 4;
  }
  PacketType type = 1;
  Stat stat = 2;
  uint32 ID = 3;
  bytes data = 4;
}

message HealthCheckRequest { string service = 1; }
message HealthCheckResponse { int32 status = 1; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const PacketType = root.lookupType('fsutil.types.Packet');
const HealthResponse = root.lookupType('fsutil.types.HealthCheckResponse');

export const PACKET = { STAT: 0, REQ: 1, DATA: 2, FIN: 3, ERR: 4 } as const;
export type PacketKind = (typeof PACKET)[keyof typeof PACKET];

/** A file's metadata as fsutil sends it: `mode` holds Go os.FileMode bits, times are nanoseconds. */
export interface WireStat {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  modTime: bigint;
  linkname: string;
  devmajor: number;
  devminor: number;
}

export interface Packet { type: PacketKind; stat?: WireStat | null; id?: number; data?: Uint8Array }

/** int64 as protobufjs' {low, high} bits: exact for nanosecond times without the `long` package. */
function int64(v: bigint): { low: number; high: number } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 };
}

function fromInt64(v: unknown): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string') return BigInt(v);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const { low, high } = v as { low: number; high: number };
    return BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0));
  }
  return 0n;
}

export function encodePacket(p: Packet): Uint8Array {
  const msg: Record<string, unknown> = { type: p.type };
  if (p.id) msg.ID = p.id;
  if (p.data && p.data.length) msg.data = p.data;
  if (p.stat) {
    const s = p.stat;
    msg.stat = {
      path: s.path, mode: s.mode >>> 0, uid: s.uid, gid: s.gid, size: int64(s.size), modTime: int64(s.modTime),
      linkname: s.linkname, devmajor: int64(BigInt(s.devmajor)), devminor: int64(BigInt(s.devminor)),
    };
  }
  return PacketType.encode(msg).finish();
}

export function decodePacket(buf: Uint8Array): Packet {
  const m = PacketType.decode(buf) as unknown as { type?: number; stat?: Record<string, unknown>; ID?: number; data?: Uint8Array };
  const out: Packet = { type: (m.type ?? 0) as PacketKind, id: m.ID ?? 0, data: m.data ?? new Uint8Array(0), stat: null };
  if (m.stat) {
    const s = m.stat;
    out.stat = {
      path: String(s.path ?? ''), mode: Number(s.mode ?? 0) >>> 0, uid: Number(s.uid ?? 0), gid: Number(s.gid ?? 0),
      size: fromInt64(s.size), modTime: fromInt64(s.modTime), linkname: String(s.linkname ?? ''),
      devmajor: Number(fromInt64(s.devmajor)), devminor: Number(fromInt64(s.devminor)),
    };
  }
  return out;
}

/** grpc.health.v1.HealthCheckResponse{status: SERVING}. */
export function encodeHealthServing(): Uint8Array {
  return HealthResponse.encode({ status: 1 }).finish();
}

/** One gRPC message on the wire: uncompressed flag, big-endian length, bytes. */
export function frame(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

/** Splits a byte stream into gRPC messages. Throws on compressed messages (we never accept an encoding). */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxMessage = 64 << 20) {}

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.buf.length >= 5) {
      const compressed = this.buf[0]!;
      const len = this.buf.readUInt32BE(1);
      if (compressed !== 0) throw new Error('compressed gRPC message received, but no encoding was offered');
      if (len > this.maxMessage) throw new Error(`gRPC message of ${len} bytes exceeds the limit`);
      if (this.buf.length < 5 + len) break;
      out.push(this.buf.subarray(5, 5 + len));
      this.buf = this.buf.subarray(5 + len);
    }
    return out;
  }
}
