// Lazy, paged access to the per-layer file tree for the panel: one directory level at a time,
// filtered and sorted, so a 100,000-file image never crosses to the webview all at once.
import { modeString } from './paths';
import { changeOf, layerChanges, type PathNode, type PathTrie, type Span } from './tree';
import type { ChangeKind, EntryType, LayerChange, LayerSource } from './types';

export interface TreeQuery {
  /** 0-based layer index. */
  layer: number;
  /** 'layer': only what this layer changed (and the directories leading to it);
   *  'merged': the filesystem as it stands after this layer, with this layer's changes marked. */
  view: 'layer' | 'merged';
  /** Absolute directory path, '/' for the root. */
  dir: string;
  /** Keep only entries with these changes (in this layer); 'unchanged' keeps the rest. Default: all. */
  changes?: Array<ChangeKind | 'unchanged'>;
  /** With `changes`: keep directories something below changed in (change 'modified'), whatever
   *  the filter, so a filtered listing can still be followed down to the entries it matches. */
  keepDirs?: boolean;
  /** Case-insensitive substring of the entry name. */
  nameContains?: string;
  sort?: 'name' | 'size';
  descending?: boolean;
  offset?: number;
  /** Page size, at most 1000 (default 200). */
  limit?: number;
}

export interface TreeEntry {
  name: string;
  path: string;
  type: EntryType;
  /** A file's size; a directory's: the bytes below it in this view (removed: what was removed). */
  sizeBytes: number;
  mode: string;
  uid: number;
  gid: number;
  link?: string;
  /** What this layer did to the entry; for directories: 'modified' when something below changed. */
  change: ChangeKind | 'unchanged';
  hasChildren: boolean;
  /** The layer that wrote what is shown (for removals: the layer that wrote what was removed). */
  writtenBy: number;
  line: number | null;
}

export interface TreePage {
  dir: string;
  layer: number;
  view: 'layer' | 'merged';
  /** Entries matching the filters, before paging. */
  total: number;
  offset: number;
  entries: TreeEntry[];
}

export class LayerIndex {
  /** Per layer: where it came from in the Dockerfile (set by the analysis). */
  sources: ReadonlyArray<LayerSource | null> = [];
  private readonly sizeCache = new Map<string, Float64Array>();

  constructor(private readonly trie: PathTrie) {}

  get layerCount(): number { return this.trie.layerCount; }
  get pathCount(): number { return this.trie.nodes.length - 1; }

  /** One page of one directory's children. Unknown directories give an empty page. */
  list(q: TreeQuery): TreePage {
    const layer = Math.max(0, Math.min(q.layer, this.trie.layerCount - 1));
    const limit = Math.max(1, Math.min(q.limit ?? 200, 1000));
    const offset = Math.max(0, q.offset ?? 0);
    const dirNode = this.trie.lookup(q.dir);
    const page: TreePage = { dir: q.dir, layer, view: q.view, total: 0, offset, entries: [] };
    if (!dirNode?.children) return page;
    const sizes = this.sizes(layer, q.view);
    const want = q.changes ? new Set(q.changes) : null;
    const needle = q.nameContains?.toLowerCase();
    const rows: Array<{ node: PathNode; span: Span; change: ChangeKind | 'unchanged' }> = [];
    for (const node of dirNode.children.values()) {
      const row = this.describe(node, layer, q.view);
      if (!row) continue;
      if (want && !want.has(row.change) && !(q.keepDirs && row.span.type === 'dir' && row.change === 'modified')) continue;
      if (needle && !node.name.toLowerCase().includes(needle)) continue;
      rows.push({ node, ...row });
    }
    const dirFactor = q.descending ? -1 : 1;
    if (q.sort === 'size') rows.sort((a, b) => dirFactor * (sizes[a.node.id]! - sizes[b.node.id]!) || cmp(a.node.name, b.node.name));
    else rows.sort((a, b) => dirFactor * cmp(a.node.name, b.node.name));
    page.total = rows.length;
    const base = q.dir === '/' ? '' : q.dir.replace(/\/+$/, '');
    page.entries = rows.slice(offset, offset + limit).map(({ node, span, change }) => {
      const e: TreeEntry = {
        name: node.name,
        path: `${base}/${node.name}`,
        type: span.type,
        sizeBytes: sizes[node.id]!,
        mode: modeString(span.mode),
        uid: span.uid,
        gid: span.gid,
        change,
        hasChildren: span.type === 'dir' && this.hasVisibleChildren(node, layer, q.view),
        writtenBy: span.from,
        line: this.sources[span.from]?.line ?? null,
      };
      if (span.link !== undefined) e.link = span.link;
      return e;
    });
    return page;
  }

  /** The biggest changes of one layer, flat (for lists and `--json`). */
  changes(layer: number, limit = 1000): { changes: LayerChange[]; omitted: number } {
    return layerChanges(this.trie, layer, limit);
  }

  private describe(node: PathNode, layer: number, view: 'layer' | 'merged'): { span: Span; change: ChangeKind | 'unchanged' } | null {
    const kind = changeOf(node, layer);
    if (kind === 'removed') return { span: node.removedAt(layer)!, change: 'removed' };
    const span = node.spanAt(layer);
    if (!span) return null;
    if (kind) return { span, change: kind };
    const below = node.changedLayers.includes(layer);
    if (view === 'layer' && !below) return null;
    return { span, change: below && span.type === 'dir' ? 'modified' : 'unchanged' };
  }

  private hasVisibleChildren(node: PathNode, layer: number, view: 'layer' | 'merged'): boolean {
    if (!node.children) return false;
    for (const c of node.children.values()) if (this.describe(c, layer, view)) return true;
    return false;
  }

  /**
   * Size of every node in one view, computed in one pass over all paths and cached for a few
   * layers: merged view = live bytes below; layer view = bytes this layer wrote or removed below.
   */
  private sizes(layer: number, view: 'layer' | 'merged'): Float64Array {
    const key = `${view}:${layer}`;
    const hit = this.sizeCache.get(key);
    if (hit) { this.sizeCache.delete(key); this.sizeCache.set(key, hit); return hit; }
    const nodes = this.trie.nodes;
    const out = new Float64Array(nodes.length);
    for (let i = nodes.length - 1; i > 0; i--) {
      const n = nodes[i]!;
      const removed = n.removedAt(layer);
      let own = 0;
      if (removed) {
        own = removed.type === 'dir' ? 0 : removed.size;
      } else {
        const s = n.spanAt(layer);
        if (s && s.type !== 'dir' && (view === 'merged' || (s.from === layer && !s.implicit))) own = s.size;
      }
      out[i]! += own;
      // Removed subtrees only add up under removed parents; live sizes under live parents.
      const parent = n.parent!;
      if (parent.id === 0 || Boolean(parent.removedAt(layer)) === Boolean(removed) || !removed) out[parent.id]! += out[i]!;
    }
    this.sizeCache.set(key, out);
    if (this.sizeCache.size > 4) this.sizeCache.delete(this.sizeCache.keys().next().value!);
    return out;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
