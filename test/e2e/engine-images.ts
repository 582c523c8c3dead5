// Asks the test engine itself what Stage Lens built, so the e2e assertions compare the UI with
// the engine's own numbers rather than with anything the extension computed.
import Docker from 'dockerode';
import { basename } from 'node:path';

export function dockerFor(host: string): Docker {
  const url = new URL(host);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

const LABEL_PREFIX = 'com.stagelens.';

/** A label value that names the stage: an index, or `stage N`. */
function stageOf(labels: Record<string, string>): number | null {
  for (const [k, v] of Object.entries(labels)) {
    if (!k.startsWith(LABEL_PREFIX) || !/stage/i.test(k.slice(LABEL_PREFIX.length))) continue;
    if (/^\d+$/.test(v)) return Number(v);
  }
  return null;
}

function mentionsDockerfile(labels: Record<string, string>, dockerfile: string): boolean {
  return Object.entries(labels).some(([k, v]) => k.startsWith(LABEL_PREFIX) && (v === dockerfile || v === basename(dockerfile) || v.endsWith(`/${basename(dockerfile)}`)));
}

/**
 * The image Stage Lens built most recently for stage `stageIndex` of `dockerfile`, found by its
 * com.stagelens.* labels, and that image's Size as `GET /images/{id}/json` reports it.
 */
export async function stageImageSize(host: string, dockerfile: string, stageIndex: number): Promise<number> {
  const docker = dockerFor(host);
  const images = await docker.listImages({ all: false });
  const ours = images.filter((img) => img.Labels && Object.keys(img.Labels).some((k) => k.startsWith(LABEL_PREFIX)));
  const candidates = ours
    .filter((img) => stageOf(img.Labels) === stageIndex)
    .filter((img) => ours.every((o) => !mentionsDockerfile(o.Labels, dockerfile)) || mentionsDockerfile(img.Labels, dockerfile))
    .sort((a, b) => b.Created - a.Created);
  const image = candidates[0];
  if (!image) {
    throw new Error(`no image labelled ${LABEL_PREFIX}* for stage ${stageIndex} of ${dockerfile} in the test engine; labelled images: ${JSON.stringify(ours.map((i) => ({ tags: i.RepoTags, labels: i.Labels })))}`);
  }
  const info = await docker.getImage(image.Id).inspect();
  return info.Size;
}
