// The compact per-path index behind the layer analysis.
//
// While the export streams, every layer tarball ("blob") records per-path events into one path
// trie: a write (file, dir, link), an implicit parent directory, a whiteout or an opaque marker.
// Nothing but numbers and names is kept, so memory follows the number of paths, never the bytes.
// Blobs may arrive in any order (docker save writes manifest.json last), so `finalize()` runs once
// the layer order is known and replays the events layer by layer, producing:
//   - per path, the spans of layers in which it existed (what the panel's tree queries read),
//   - per layer, added/modified/removed counts and bytes,
//   - dive's efficiency numbers and our reclaimable bytes.
import type { ChangeKind, EntryType, LayerChange, LayerFileStats } from './types';
import { joinPath } from './paths';

export enum Ev { Write = 0, Implicit = 1, Whiteout = 2, Opaque = 3 }

/** Content hints found by peeking at small files while they streamed. */
export enum Hint { None = 0, PrivateKey = 1, NpmToken = 2 }

/** What a tar header (plus peeked hints) says about one path: shared by events and spans. */
interface EntryMeta {
  type: EntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  link: string | undefined;
  hints: Hint;
}

export interface BlobEvent extends EntryMeta {
  blob: number;
  kind: Ev;
  /** Something else in the same blob lives below this path (dive only visits leaves). */
  hasChild: boolean;
}

export interface Span extends EntryMeta {
  from: number;
  /** The layer that ended the span (removed or replaced it), -1 while it lasts to the top. */
  to: number;
  change: 'added' | 'modified';
  implicit: boolean;
}

// Arrays start as exact-size literals ([x]) rather than [] + push: an empty array's first push
// reserves room for ~17 elements, which tripled the memory per path on 50,000-file images.
const NO_SPANS: Span[] = [];
const NO_LAYERS: number[] = [];

function pushRaw(node: PathNode, e: BlobEvent): void {
  if (node.raw) node.raw.push(e); else node.raw = [e];
}

export class PathNode {
  children: Map<string, PathNode> | null = null;
  raw: BlobEvent[] | null = null;
  spans: Span[] = NO_SPANS;
  /** Layers in which something below this path changed, ascending. */
  changedLayers: number[] = NO_LAYERS;
  /** Bytes written at this path over all layers (non-directories). */
  cumulative = 0;
  diveCum = 0;
  diveMin = -1;
  diveCount = 0;
  // dive's stacked tree ignores opaque markers, so it needs its own notion of "present".
  diveLive = false;
  diveIsDir = false;
  diveSize = 0;
  constructor(readonly id: number, readonly name: string, readonly parent: PathNode | null) {}

  path(): string {
    const parts: string[] = [];
    for (let n: PathNode | null = this as PathNode | null; n && n.parent; n = n.parent) parts.push(n.name);
    return joinPath(parts.reverse());
  }

  /** The span in effect at `layer`, or null when the path does not exist there. */
  spanAt(layer: number): Span | null {
    for (let i = this.spans.length - 1; i >= 0; i--) {
      const s = this.spans[i]!;
      if (s.from <= layer) return s.to === -1 || s.to > layer ? s : null;
    }
    return null;
  }

  /** A span that ended exactly at `layer` and was not replaced there: removed in that layer. */
  removedAt(layer: number): Span | null {
    let ended: Span | null = null;
    for (const s of this.spans) {
      if (s.from === layer) return null;
      if (s.to === layer) ended = s;
    }
    return ended;
  }

  live(): Span | null {
    const s = this.spans[this.spans.length - 1];
    return s && s.to === -1 ? s : null;
  }
}

export interface LayerTotals {
  stats: LayerFileStats;
  sizeBytes: number;
  entries: number;
}

export interface EfficiencyTotals {
  efficiency: number;
  wastedBytes: number;
  reclaimableBytes: number;
  finalBytes: number;
  fileCount: number;
}

function emptyStats(): LayerFileStats {
  return { added: 0, addedBytes: 0, modified: 0, modifiedBytes: 0, removed: 0, removedBytes: 0 };
}

export class PathTrie {
  readonly root = new PathNode(0, '', null);
  readonly nodes: PathNode[] = [this.root];
  /** Per blob: Σ header sizes and entry count (dive's layer size). */
  readonly blobSize: number[] = [];
  readonly blobEntries: number[] = [];
  layerCount = 0;
  layerTotals: LayerTotals[] = [];

  newBlob(): number {
    this.blobSize.push(0);
    this.blobEntries.push(0);
    return this.blobSize.length - 1;
  }

  private child(parent: PathNode, name: string): PathNode {
    let c = parent.children?.get(name);
    if (!c) {
      c = new PathNode(this.nodes.length, name, parent);
      this.nodes.push(c);
      (parent.children ??= new Map()).set(name, c);
    }
    return c;
  }

  /** The write/implicit event of `node` in `blob`, creating an implicit one when asked. */
  private presence(node: PathNode, blob: number, create: boolean): BlobEvent | null {
    const raw = node.raw;
    if (raw) {
      for (let i = raw.length - 1; i >= 0 && raw[i]!.blob === blob; i--) {
        const e = raw[i]!;
        if (e.kind === Ev.Write || e.kind === Ev.Implicit) return e;
      }
    }
    if (!create) return null;
    const e: BlobEvent = { blob, kind: Ev.Implicit, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, link: undefined, hasChild: false, hints: Hint.None };
    pushRaw(node, e);
    return e;
  }

  /** Walks to the parent directory of `parts`, marking every ancestor present in `blob`. */
  private parentOf(parts: readonly string[], blob: number, markChild: boolean): PathNode {
    let node = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      node = this.child(node, parts[i]!);
      const p = this.presence(node, blob, true)!;
      if (i === parts.length - 2 && markChild) p.hasChild = true;
      else if (i < parts.length - 2) p.hasChild = true;
    }
    return node;
  }

  /** Records one tar entry of a layer blob. `parts` are normalised path components. */
  addEntry(blob: number, parts: readonly string[], type: EntryType, size: number, mode: number, uid: number, gid: number, link: string | undefined, hints: Hint): void {
    this.blobSize[blob]! += size;
    this.blobEntries[blob]! += 1;
    if (parts.length === 0) return; // the layer root "./" itself
    const base = parts[parts.length - 1]!;
    if (base.startsWith('.wh.')) {
      if (base === '.wh..wh..opq') {
        // dive never adds marker names to its tree but does create the directory on the way.
        const dir = this.parentOf(parts, blob, false);
        pushRaw(dir, { blob, kind: Ev.Opaque, type: 'dir', size: 0, mode: 0, uid: 0, gid: 0, link: undefined, hasChild: false, hints: Hint.None });
        return;
      }
      if (base.startsWith('.wh..wh.')) return; // aufs bookkeeping (.wh..wh.plnk etc.)
      const dir = this.parentOf(parts, blob, true);
      const target = this.child(dir, base.slice(4));
      pushRaw(target, { blob, kind: Ev.Whiteout, type: 'other', size: 0, mode: 0, uid: 0, gid: 0, link: undefined, hasChild: false, hints: Hint.None });
      return;
    }
    const dir = this.parentOf(parts, blob, true);
    const node = this.child(dir, base);
    const prior = this.presence(node, blob, false);
    if (prior) {
      // A later entry for the same path in one tar wins, as when extracting it.
      Object.assign(prior, { kind: Ev.Write, type, size, mode, uid, gid, link, hints });
      return;
    }
    pushRaw(node, { blob, kind: Ev.Write, type, size, mode, uid, gid, link, hasChild: false, hints });
  }

  /**
   * Replays all events in layer order. `layerBlobs[k]` is the blob making layer k (a blob may
   * appear more than once when an engine deduplicated identical layers).
   */
  finalize(layerBlobs: readonly number[]): EfficiencyTotals {
    const layers = layerBlobs.length;
    this.layerCount = layers;
    const usedBy: number[][] = this.blobSize.map(() => []);
    layerBlobs.forEach((b, k) => usedBy[b]!.push(k));
    // Bucket events per layer; ids ascend from parents to children, so parents come first.
    const bucketNodes: PathNode[][] = Array.from({ length: layers }, () => []);
    const bucketEvents: BlobEvent[][] = Array.from({ length: layers }, () => []);
    for (const node of this.nodes) {
      if (!node.raw) continue;
      for (const e of node.raw) {
        for (const k of usedBy[e.blob]!) { bucketNodes[k]!.push(node); bucketEvents[k]!.push(e); }
      }
      node.raw = null;
    }

    this.layerTotals = layerBlobs.map((b) => ({ stats: emptyStats(), sizeBytes: this.blobSize[b]!, entries: this.blobEntries[b]! }));

    for (let k = 0; k < layers; k++) {
      const nodes = bucketNodes[k]!;
      const events = bucketEvents[k]!;
      const stats = this.layerTotals[k]!.stats;
      this.diveVisit(k, nodes, events);
      this.applyDive(nodes, events);

      // Removals first: whiteouts and opaque markers hide what lower layers put there.
      const removedHere = new Set<PathNode>();
      for (let i = 0; i < nodes.length; i++) {
        const e = events[i]!;
        if (e.kind === Ev.Whiteout) this.removeSubtree(nodes[i]!, k, true, removedHere);
        else if (e.kind === Ev.Opaque) this.removeSubtree(nodes[i]!, k, false, removedHere);
      }
      for (let i = 0; i < nodes.length; i++) {
        const e = events[i]!;
        const node = nodes[i]!;
        if (e.kind === Ev.Implicit) {
          if (!node.live()) this.open(node, k, e, 'added', true);
          continue;
        }
        if (e.kind !== Ev.Write) continue;
        const isFile = e.type !== 'dir';
        if (isFile) node.cumulative += e.size;
        const cur = node.live();
        if (cur && cur.implicit && cur.type === 'dir' && e.type === 'dir') {
          // The directory was only implied by its contents until now; it gains real metadata.
          Object.assign(cur, { implicit: false, mode: e.mode, uid: e.uid, gid: e.gid });
          continue;
        }
        if (cur) {
          if (e.type === 'dir' && cur.type === 'dir' && cur.mode === e.mode && cur.uid === e.uid && cur.gid === e.gid) {
            continue; // re-listed parent directory, nothing changed
          }
          cur.to = k;
          if (cur.type === 'dir' && isFile) this.removeSubtree(node, k, false, removedHere);
          this.open(node, k, e, 'modified', false);
          if (isFile) { stats.modified++; stats.modifiedBytes += e.size; }
        } else if (removedHere.has(node)) {
          removedHere.delete(node);
          this.open(node, k, e, 'modified', false);
          if (isFile) { stats.modified++; stats.modifiedBytes += e.size; }
        } else {
          this.open(node, k, e, 'added', false);
          if (isFile) { stats.added++; stats.addedBytes += e.size; }
        }
        this.markChanged(node, k);
      }
      for (const node of removedHere) {
        this.markChanged(node, k);
        const s = node.spans[node.spans.length - 1]!;
        if (s.type !== 'dir') { stats.removed++; stats.removedBytes += s.size; }
      }
    }

    // dive: efficiency = Σ smallest / Σ cumulative; wasted = Σ cumulative of paths seen twice or more.
    let minSum = 0; let cumSum = 0; let wasted = 0;
    let reclaimable = 0; let finalBytes = 0; let fileCount = 0;
    for (const node of this.nodes) {
      if (node.diveCount > 0) {
        minSum += node.diveMin;
        cumSum += node.diveCum;
        if (node.diveCount >= 2) wasted += node.diveCum;
      }
      const live = node.live();
      const keep = live && live.type !== 'dir' ? live.size : 0;
      if (live && live.type !== 'dir' && !live.implicit) { fileCount++; finalBytes += keep; }
      if (node.cumulative > keep) reclaimable += node.cumulative - keep;
    }
    return { efficiency: cumSum === 0 ? 1 : minSum / cumSum, wastedBytes: wasted, reclaimableBytes: reclaimable, finalBytes, fileCount };
  }

  private open(node: PathNode, k: number, e: BlobEvent, change: 'added' | 'modified', implicit: boolean): void {
    const span: Span = { from: k, to: -1, change, implicit, type: e.type, size: e.size, mode: e.mode, uid: e.uid, gid: e.gid, link: e.link, hints: e.hints };
    if (node.spans === NO_SPANS) node.spans = [span]; else node.spans.push(span);
  }

  /** Records on every ancestor that something below it changed in layer k (the node's own change is in its spans). */
  private markChanged(node: PathNode, k: number): void {
    for (let n: PathNode | null = node.parent; n; n = n.parent) {
      const cl = n.changedLayers;
      if (cl[cl.length - 1] === k) break;
      if (cl === NO_LAYERS) n.changedLayers = [k]; else cl.push(k);
    }
  }

  /** Ends every live span at and (or only) below `node` at layer k. */
  private removeSubtree(node: PathNode, k: number, includeSelf: boolean, removed: Set<PathNode>): void {
    const stack: PathNode[] = [];
    if (includeSelf) stack.push(node);
    else if (node.children) for (const c of node.children.values()) stack.push(c);
    while (stack.length) {
      const n = stack.pop()!;
      const live = n.live();
      if (!live) continue;
      live.to = k;
      if (!live.implicit || live.type !== 'dir') removed.add(n);
      if (n.children) for (const c of n.children.values()) stack.push(c);
    }
  }

  // Mirrors dive's Efficiency() (wagoodman/dive, dive/filetree/efficiency.go): for every LEAF of a
  // layer's tree (a node with nothing below it in that layer), add its size to the path's
  // cumulative size and track the smallest size seen. A whiteout leaf counts 0 when it removes a
  // file, and the size of everything below when it removes a directory of the stacked lower
  // layers — so a removed file's whole size is waste, while a whole removed directory counts as
  // one new path with cumulative = smallest (dive reports no waste for it; our reclaimable does).
  private diveVisit(_k: number, nodes: PathNode[], events: BlobEvent[]): void {
    for (let i = 0; i < nodes.length; i++) {
      const e = events[i]!;
      const node = nodes[i]!;
      let size: number;
      if (e.kind === Ev.Whiteout) {
        size = node.diveLive && node.diveIsDir ? this.diveSubtreeSize(node) : 0;
      } else if (e.kind === Ev.Write || e.kind === Ev.Implicit) {
        if (e.hasChild) continue;
        size = e.kind === Ev.Write ? e.size : 0;
      } else continue;
      node.diveCum += size;
      if (node.diveMin < 0 || size < node.diveMin) node.diveMin = size;
      node.diveCount++;
    }
  }

  private diveSubtreeSize(node: PathNode): number {
    let sum = 0;
    const stack = [node];
    while (stack.length) {
      const n = stack.pop()!;
      if (!n.diveLive) continue;
      sum += n.diveSize;
      if (n.children) for (const c of n.children.values()) stack.push(c);
    }
    return sum;
  }

  // dive's FileTree.Stack: whiteouts remove the path and everything below, every other node of
  // the layer (implicit parents too, with an empty payload) overwrites the payload.
  private applyDive(nodes: PathNode[], events: BlobEvent[]): void {
    for (let i = 0; i < nodes.length; i++) {
      const e = events[i]!;
      const node = nodes[i]!;
      if (e.kind === Ev.Whiteout) {
        const stack = [node];
        while (stack.length) {
          const n = stack.pop()!;
          if (!n.diveLive) continue;
          n.diveLive = false;
          if (n.children) for (const c of n.children.values()) stack.push(c);
        }
      } else if (e.kind === Ev.Write || e.kind === Ev.Implicit) {
        node.diveLive = true;
        node.diveIsDir = e.kind === Ev.Write && e.type === 'dir';
        node.diveSize = e.kind === Ev.Write ? e.size : 0;
      }
    }
  }

  /** Finds a node by absolute path. */
  lookup(path: string): PathNode | null {
    let n: PathNode | undefined = this.root;
    for (const part of path.split('/')) {
      if (!part) continue;
      n = n.children?.get(part);
      if (!n) return null;
    }
    return n;
  }
}

export function changeOf(node: PathNode, layer: number): ChangeKind | null {
  const s = node.spanAt(layer);
  if (s && s.from === layer && !s.implicit) return s.change;
  if (!s && node.removedAt(layer)) return 'removed';
  return null;
}

/** Size of what a removal at `layer` took away: the file, or everything live below a dir. */
export function removedSize(node: PathNode, layer: number): number {
  let sum = 0;
  const stack = [node];
  while (stack.length) {
    const n = stack.pop()!;
    const s = n.removedAt(layer);
    if (!s) continue;
    if (s.type !== 'dir') sum += s.size;
    if (n.children) for (const c of n.children.values()) stack.push(c);
  }
  return sum;
}

/** All changes of one layer, biggest first, at most `limit`; directories only when removed. */
export function layerChanges(trie: PathTrie, layer: number, limit: number): { changes: LayerChange[]; omitted: number } {
  const found: Array<{ node: PathNode; kind: ChangeKind; size: number }> = [];
  const visit = (n: PathNode): void => {
    if (n !== trie.root) {
      const kind = changeOf(n, layer);
      if (kind === 'removed') {
        // A removed directory is one change; its contents are not listed again.
        const s = n.removedAt(layer)!;
        found.push({ node: n, kind, size: s.type === 'dir' ? removedSize(n, layer) : s.size });
        return;
      }
      if (kind) {
        const s = n.spanAt(layer)!;
        if (s.type !== 'dir') found.push({ node: n, kind, size: s.size });
      }
    }
    if (n.children && n.changedLayers.includes(layer)) for (const c of n.children.values()) visit(c);
  };
  visit(trie.root);
  found.sort((a, b) => b.size - a.size);
  const keep = found.slice(0, limit);
  return {
    changes: keep.map(({ node, kind, size }) => {
      const s = kind === 'removed' ? node.removedAt(layer)! : node.spanAt(layer)!;
      const c: LayerChange = { path: node.path(), kind, type: s.type, sizeBytes: size };
      if (s.link !== undefined && kind !== 'removed') c.link = s.link;
      return c;
    }),
    omitted: found.length - keep.length,
  };
}
