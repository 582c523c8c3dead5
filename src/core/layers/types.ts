// Result types of the layer-content analysis. Everything here is plain JSON so the CLI's
// `--json`, the panel and tests share one shape. Per-file detail is NOT in the report (an image
// can hold 100,000 files); it stays in a LayerIndex that answers paged queries (tree.ts).

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
export type ChangeKind = 'added' | 'modified' | 'removed';

/** Where a layer came from in the Dockerfile, when an AnalysisReport was given. */
export interface LayerSource {
  line: number | null;
  endLine: number | null;
  instruction: string | null;
}

export interface LayerFileStats {
  /** Non-directory entries only: directories are bookkeeping, files are what users look for. */
  added: number;
  addedBytes: number;
  modified: number;
  modifiedBytes: number;
  removed: number;
  /** Bytes of lower-layer files this layer hides (they still ship in the lower layer). */
  removedBytes: number;
}

export interface LayerChange {
  path: string;
  kind: ChangeKind;
  type: EntryType;
  /** For removals: the size of what was removed (a directory: everything below it). */
  sizeBytes: number;
  link?: string;
}

export interface LayerContents {
  /** 0-based position among the image's layer tarballs (oldest first). */
  index: number;
  /** The layer's diff id (sha256 of the uncompressed tar) when the config lists it, else the blob's. */
  digest: string;
  /** Path of the tarball inside the export. */
  archivePath: string;
  /** Σ tar header sizes of the layer's entries (dive's layer size). */
  sizeBytes: number;
  /** Number of tar entries. */
  entries: number;
  files: LayerFileStats;
  /** The image history entry that made the layer (`created_by`), when the config has it. */
  createdBy: string | null;
  /** Position of that entry in the image history (oldest first), or null. */
  historyIndex: number | null;
  line: number | null;
  endLine: number | null;
  instruction: string | null;
  /** Biggest changes first; capped, see `changesOmitted`. Only present when asked for. */
  changes?: LayerChange[];
  changesOmitted?: number;
}

export interface WastedPath {
  path: string;
  /** Bytes the path occupies across all layers that wrote it. */
  cumulativeBytes: number;
  /** What the final image keeps at that path (0 when removed). */
  finalBytes: number;
  /** cumulativeBytes − finalBytes. */
  reclaimableBytes: number;
  /** Every layer that wrote the path, oldest first. */
  writes: Array<{ layer: number; sizeBytes: number; line: number | null; instruction: string | null }>;
  /** The layer that removed the path (whiteout/opaque directory), or overwrote its last copy. */
  removedBy: { layer: number; how: 'removed' | 'overwritten'; line: number | null; instruction: string | null } | null;
}

export interface SurfacePath {
  path: string;
  /** The layer that wrote what the final image holds at this path. */
  layer: number;
  line: number | null;
}

export interface SurfaceFacts {
  compilers: SurfacePath[];
  packageManagers: SurfacePath[];
  shells: SurfacePath[];
  setuid: Array<SurfacePath & { mode: string; setgid: boolean; setuid: boolean }>;
  worldWritableDirs: Array<SurfacePath & { mode: string; sticky: boolean }>;
  secrets: Array<SurfacePath & { reason: string }>;
  /** The config's User, '' when unset (the engine then runs as root). */
  user: string;
  runsAsRoot: boolean;
  /** How many matches each list dropped past its cap. */
  omitted: Record<string, number>;
}

export interface LayerContentsReport {
  schemaVersion: 1;
  image: string;
  /** 'docker-save' (manifest.json + <id>/layer.tar) or 'oci' (index.json + blobs/). */
  layout: 'docker-save' | 'oci';
  imageId: string | null;
  layers: LayerContents[];
  /** Σ layer sizeBytes. */
  sizeBytes: number;
  /** Σ layer sizeBytes except the first layer (dive's "user size"). */
  userSizeBytes: number;
  /** dive's score: Σ smallest size per path / Σ cumulative size per path (1 when empty). */
  efficiency: number;
  /** dive's wasted bytes: Σ cumulative size of every path seen in two or more layers. */
  wastedBytes: number;
  /** dive's wasted/user-size ratio; null when dive would divide 0 by 0. Infinity is serialised as null too. */
  userWastedPercent: number | null;
  /** Bytes the layers carry that the final filesystem does not: Σ per path (cumulative − final). */
  reclaimableBytes: number;
  /** Bytes of the final filesystem (regular files). */
  finalBytes: number;
  fileCount: number;
  topWasted: WastedPath[];
  surface: SurfaceFacts;
}
