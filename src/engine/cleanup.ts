// Finds and removes the images Stage Lens built — and only those: every candidate must carry
// the `com.stagelens.managed=true` label, whatever its tag says.
import type Dockerode from 'dockerode';
import { LABELS } from './analyze';

export interface StageLensImage {
  id: string;
  tags: string[];
  sizeBytes: number;
  created: number;
  dockerfile: string | null;
  stage: string | null;
  hash: string | null;
}

export async function listStageLensImages(docker: Dockerode): Promise<StageLensImage[]> {
  const images = await docker.listImages({ filters: JSON.stringify({ label: [`${LABELS.managed}=true`] }) });
  return images
    .filter((i) => i.Labels?.[LABELS.managed] === 'true')
    .map((i) => ({
      id: i.Id,
      tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
      sizeBytes: i.Size,
      created: i.Created,
      dockerfile: i.Labels?.[LABELS.dockerfile] ?? null,
      stage: i.Labels?.[LABELS.stage] ?? null,
      hash: i.Labels?.[LABELS.hash] ?? null,
    }));
}

/**
 * Whether a tag is in our `stagelens/…` repository. Podman lists tags fully qualified
 * (`docker.io/stagelens/…`, `localhost/stagelens/…`); Docker lists them familiar.
 */
export function isStageLensTag(tag: string): boolean {
  return /^(?:(?:docker\.io|localhost)\/)?stagelens\/[^/]+$/.test(tag);
}

export interface CleanUpOptions {
  /** Only images built from this Dockerfile path. */
  dockerfile?: string;
  /** Keep images of this Dockerfile hash (the current analysis). */
  keepHash?: string;
}

/**
 * Removes Stage Lens images (untagging ours; an image also tagged by someone else keeps its
 * other tags). Images in use by a container are left alone and reported in `failed`.
 */
export async function cleanUpImages(docker: Dockerode, opts: CleanUpOptions = {}): Promise<{ removed: string[]; failed: { id: string; message: string }[] }> {
  const removed: string[] = [];
  const failed: { id: string; message: string }[] = [];
  const mine = (await listStageLensImages(docker))
    .filter((i) => !opts.dockerfile || i.dockerfile === opts.dockerfile)
    .filter((i) => !opts.keepHash || i.hash !== opts.keepHash);
  for (const img of mine) {
    const ours = img.tags.filter(isStageLensTag);
    const others = img.tags.filter((t) => !isStageLensTag(t));
    try {
      // Untagging the last tag deletes the image; tags of other tools are never touched.
      if (ours.length) for (const t of ours) await docker.getImage(t).remove({ noprune: false });
      else if (!others.length) await docker.getImage(img.id).remove({ noprune: false });
      removed.push(img.id);
    } catch (e) {
      failed.push({ id: img.id, message: String((e as { json?: { message?: string } })?.json?.message ?? (e as Error).message) });
    }
  }
  return { removed, failed };
}
