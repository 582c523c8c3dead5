// Asks the test engine itself what Stage Lens built, so the e2e assertions compare the UI with
// the engine's own numbers rather than with anything the extension computed.
import Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { dockerfileHash } from '../../src/core/hash';

export function dockerFor(host: string): Docker {
  const url = new URL(host);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

/**
 * The image Stage Lens built for one stage of the Dockerfile text on disk, found through the
 * labels it puts on every stage image (com.stagelens.hash = sha256 of the text,
 * com.stagelens.stage = stage name or index), and that image's Size as `GET /images/{id}/json`
 * reports it.
 */
export async function stageImageSize(host: string, dockerfile: string, stage: { index: number; name: string | null }): Promise<number> {
  const docker = dockerFor(host);
  const hash = dockerfileHash(readFileSync(dockerfile, 'utf8'));
  const labelledStage = stage.name ?? String(stage.index);
  const filters = JSON.stringify({ label: [`com.stagelens.hash=${hash}`, `com.stagelens.stage=${labelledStage}`] });
  const images = (await docker.listImages({ filters } as Docker.ListImagesOptions)).sort((a, b) => b.Created - a.Created);
  const image = images[0];
  if (!image) {
    const labelled = await docker.listImages({ filters: JSON.stringify({ label: ['com.stagelens.managed=true'] }) } as Docker.ListImagesOptions);
    throw new Error(`no image labelled for stage ${labelledStage} of ${dockerfile} (hash ${hash.slice(0, 12)}) in the test engine; Stage Lens images: ${JSON.stringify(labelled.map((i) => ({ tags: i.RepoTags, labels: i.Labels })))}`);
  }
  const info = await docker.getImage(image.Id).inspect();
  return info.Size;
}
