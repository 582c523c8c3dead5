// What the final image gained and lost, file by file: the merged filesystem of each image's top
// layer (from the layer index of src/core/layers), compared by path. Only the biggest N of each
// kind are kept, with counts and bytes of the rest, so a 100,000-file image stays a short list.
import type { LayerIndex } from '../layers/query';

export interface FileDelta {
  path: string;
  beforeBytes: number | null;
  afterBytes: number | null;
  /** after − before (a missing side counts 0). */
  deltaBytes: number;
}

export interface FileGroup {
  /** Biggest first, at most `top`. */
  top: FileDelta[];
  /** How many paths the group has in all, and their summed delta. */
  count: number;
  bytes: number;
}

export interface FilesDiff {
  added: FileGroup;
  removed: FileGroup;
  /** Present on both sides with a different size. */
  resized: FileGroup;
}

/** Every non-directory path of the image's final filesystem and its size. */
export function finalFiles(index: LayerIndex): Map<string, number> {
  const out = new Map<string, number>();
  const top = index.layerCount - 1;
  if (top < 0) return out;
  const dirs = ['/'];
  while (dirs.length) {
    const dir = dirs.pop()!;
    for (let offset = 0; ; offset += 1000) {
      const page = index.list({ layer: top, view: 'merged', dir, offset, limit: 1000, sort: 'name' });
      for (const e of page.entries) {
        if (e.type === 'dir') { if (e.hasChildren) dirs.push(e.path); } else out.set(e.path, e.sizeBytes);
      }
      if (offset + page.entries.length >= page.total || page.entries.length === 0) break;
    }
  }
  return out;
}

function group(items: FileDelta[], top: number): FileGroup {
  items.sort((a, b) => Math.abs(b.deltaBytes) - Math.abs(a.deltaBytes) || (a.path < b.path ? -1 : 1));
  return { top: items.slice(0, top), count: items.length, bytes: items.reduce((s, f) => s + f.deltaBytes, 0) };
}

export function diffFiles(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, top = 10): FilesDiff {
  const added: FileDelta[] = [];
  const removed: FileDelta[] = [];
  const resized: FileDelta[] = [];
  for (const [path, size] of after) {
    const old = before.get(path);
    if (old === undefined) added.push({ path, beforeBytes: null, afterBytes: size, deltaBytes: size });
    else if (old !== size) resized.push({ path, beforeBytes: old, afterBytes: size, deltaBytes: size - old });
  }
  for (const [path, size] of before) if (!after.has(path)) removed.push({ path, beforeBytes: size, afterBytes: null, deltaBytes: -size });
  return { added: group(added, top), removed: group(removed, top), resized: group(resized, top) };
}
