// Measures a built stage image: sizes, layers mapped to lines, and the pull size where the
// engine knows it. Sizes are unpacked sizes — the sum of the layers' uncompressed sizes from
// `GET /images/{id}/history` — because that number means the same on every image store:
// inspect `Size` is the unpacked size on overlay2 and Podman but the compressed content size on
// the containerd image store. The compressed (pull) size is a second number, read only where
// the engine reports it (containerd store, API ≥ 1.48: `GET /images/{id}/json?manifests=1`).
//
// Image IDs are whatever the engine's inspect says (config digest on overlay2, manifest/index
// digest on the containerd store, Podman's own id): every lookup here goes by that ID or a tag,
// and IDs are only ever compared with IDs from the same inspect endpoint.
import type Dockerode from 'dockerode';
import type { ParsedDockerfile } from '../core/dockerfile/parse';
import { mapHistoryToLayers, type HistoryEntry, type StepTiming } from '../core/layermap';
import type { BuilderKind, StageReport } from '../core/report';
import { apiAtLeast, type EngineConnection } from './connection';
import { baseChainRoot } from './plan';

export interface InspectedImage { Id: string; Size: number; Os?: string; Architecture?: string }

export async function inspectImage(docker: Dockerode, ref: string): Promise<InspectedImage | null> {
  try { return await docker.getImage(ref).inspect(); } catch { return null; }
}

/** History, OLDEST first (the engine answers newest first). */
export async function imageHistory(docker: Dockerode, id: string): Promise<HistoryEntry[]> {
  const h = await docker.getImage(id).history() as { Id?: string; CreatedBy?: string; Size?: number; Comment?: string }[];
  return h.map((e) => ({ createdBy: e.CreatedBy ?? '', sizeBytes: e.Size ?? 0, id: e.Id ?? null, comment: e.Comment ?? null })).reverse();
}

/** The unpacked size: what `docker history` and dive add up, on every store. */
export function unpackedSize(history: readonly Pick<HistoryEntry, 'sizeBytes'>[]): number {
  return history.reduce((n, h) => n + (h.sizeBytes > 0 ? h.sizeBytes : 0), 0);
}

// An image ID names its content, so its history never changes: base images (the same few in
// every analysis) are asked for theirs once per process. Keyed by engine endpoint and ID.
const factsById = new Map<string, BaseFacts>();
const FACTS_KEPT = 256;

/** Unpacked size and layer count of an image the engine has; null when it has none by that reference (never pulls). */
async function localImageFacts(docker: Dockerode, ref: string, endpoint = ''): Promise<BaseFacts | null> {
  const info = await inspectImage(docker, ref);
  if (!info) return null;
  const key = `${endpoint}\0${info.Id}`;
  const known = factsById.get(key);
  if (known) return known;
  const history = await imageHistory(docker, info.Id);
  const facts = { size: unpackedSize(history), historyLength: history.length };
  if (factsById.size >= FACTS_KEPT) factsById.delete(factsById.keys().next().value!);
  factsById.set(key, facts);
  return facts;
}

/**
 * Unpacked sizes (reference → bytes) of those of `refs` the engine already has — e.g. the slim
 * base a rewrite would run on, so its estimated saving subtracts the real base. Never pulls: an
 * image not in the store, or one the engine fails to answer for, is left out (the caller falls
 * back to a typical size). The unpacked size, not inspect `Size`, for the reason at the top.
 */
export async function localImageSizes(docker: Dockerode, refs: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const ref of new Set(refs)) {
    try {
      const facts = await localImageFacts(docker, ref);
      if (facts) out[ref] = facts.size;
    } catch { /* the history call failed: no engine size for this one */ }
  }
  return out;
}

interface ManifestSummary {
  Kind?: string;
  Available?: boolean;
  Size?: { Content?: number; Total?: number };
  ImageData?: { Platform?: { os?: string; architecture?: string } };
}

/**
 * The compressed content size of the image manifest among an inspect's `Manifests` (attestation
 * manifests left out). With several platform manifests, the one matching the image's own
 * platform; null when that cannot be told.
 */
export function pullSizeFromManifests(manifests: readonly ManifestSummary[] | null | undefined, platform: { os?: string; architecture?: string } = {}): number | null {
  const images = (manifests ?? []).filter((m) => m.Kind === 'image' && m.Available !== false && typeof m.Size?.Content === 'number');
  const pick = images.length === 1 ? images[0]
    : images.find((m) => m.ImageData?.Platform?.os === platform.os && m.ImageData?.Platform?.architecture === platform.architecture);
  return pick?.Size?.Content ?? null;
}

/** Whether this engine can tell a pull size at all. */
export function knowsPullSize(conn: Pick<EngineConnection, 'store' | 'apiVersion' | 'product'>): boolean {
  return conn.product === 'docker' && conn.store === 'containerd' && apiAtLeast(conn.apiVersion, '1.48');
}

/**
 * Inspect of a built image, with its `Manifests` where the engine tells the pull size (one
 * request either way). Null when the engine has no such image.
 */
async function inspectForMeasure(conn: EngineConnection, ref: string): Promise<(InspectedImage & { Manifests?: ManifestSummary[] }) | null> {
  if (!knowsPullSize(conn)) return inspectImage(conn.docker, ref);
  try {
    return await new Promise((resolve, reject) => {
      conn.docker.modem.dial({
        path: `/images/${ref}/json?`, method: 'GET', options: { manifests: true },
        statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
      }, (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as InspectedImage & { Manifests?: ManifestSummary[] })));
    });
  } catch {
    // An engine that refuses the manifests option still answers the plain inspect.
    return inspectImage(conn.docker, ref);
  }
}

interface BaseFacts { size: number; historyLength: number }

export interface StageMeasurement {
  imageId: string;
  sizeBytes: number;
  baseSizeBytes: number;
  addedBytes: number;
  pullSizeBytes: number | null;
  layers: StageReport['layers'];
}

/** Measures stage images of one analysis; remembers base image facts across stages. */
export class StageMeasurer {
  private readonly bases = new Map<string, Promise<BaseFacts | null>>();

  constructor(private readonly conn: EngineConnection, private readonly df: ParsedDockerfile) {}

  private rootFacts(image: string): Promise<BaseFacts | null> {
    if (image.toLowerCase() === 'scratch') return Promise.resolve({ size: 0, historyLength: 0 });
    let facts = this.bases.get(image);
    if (!facts) {
      // A base the engine cannot answer for is measured from the stage's own layers (measure()).
      facts = localImageFacts(this.conn.docker, image, this.conn.endpoint).catch(() => null);
      this.bases.set(image, facts);
    }
    return facts;
  }

  /** Starts asking for the facts of stage `stage`'s base image, so they are there when its build ends. */
  prefetch(stage: number): void {
    void this.rootFacts(this.df.stages[baseChainRoot(this.df, stage)]!.resolvedBaseImage);
  }

  /**
   * `builtId` is what the build reported; `earlier` are the stages measured before (a
   * `FROM <stage>` takes its base size from there). Throws when the engine cannot inspect.
   */
  async measure(opts: { stage: number; builtId: string; builder: BuilderKind; timings: ReadonlyMap<number, StepTiming>; earlier: readonly StageReport[] }): Promise<StageMeasurement> {
    const { df, conn } = this;
    // Inspect and history at once: the build named the image, and an ID names one image.
    const [info, byBuiltId] = await Promise.all([inspectForMeasure(conn, opts.builtId), imageHistory(conn.docker, opts.builtId).catch(() => null)]);
    if (!info) throw new Error(`the engine reported image ${opts.builtId} but cannot inspect it`);
    const history = byBuiltId ?? await imageHistory(conn.docker, info.Id);
    const stage = df.stages[opts.stage]!;
    const root = await this.rootFacts(df.stages[baseChainRoot(df, opts.stage)]!.resolvedBaseImage);
    const layers = mapHistoryToLayers({ df, stage: opts.stage, builder: opts.builder, history, rootBaseLayers: root?.historyLength ?? null, timings: opts.timings });
    const sizeBytes = unpackedSize(history);
    let baseSizeBytes = stage.baseStage !== null
      ? opts.earlier.find((s) => s.index === stage.baseStage)?.sizeBytes ?? null
      : root?.size ?? null;
    // Base images BuildKit resolved outside the image store: their layers still tell the size.
    baseSizeBytes ??= unpackedSize(layers.filter((l) => l.fromBase));
    const pullSizeBytes = knowsPullSize(conn) ? pullSizeFromManifests(info.Manifests, { os: info.Os, architecture: info.Architecture }) : null;
    return { imageId: info.Id, sizeBytes, baseSizeBytes, addedBytes: sizeBytes - baseSizeBytes, pullSizeBytes, layers };
  }
}

/**
 * After a cancelled build: the engine applies the tag only once an image is complete, but a
 * build that finished just as we hung up may still have tagged. Remove such a tag unless it
 * is the one a previous, complete analysis left (both IDs come from the same inspect).
 */
export async function removeHalfTag(docker: Dockerode, tag: string, previousId: string | null): Promise<void> {
  for (const delay of [0, 750]) {
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const now = await inspectImage(docker, tag);
    if (now && now.Id !== previousId) {
      try { await docker.getImage(tag).remove({ noprune: false }); } catch { /* already gone */ }
    }
  }
}
