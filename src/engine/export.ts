// Streams an image's export (`GET /images/{id}/get`, what `docker save` reads). The body is
// handed on as a stream and never buffered: images run to gigabytes.
import type Dockerode from 'dockerode';
import type { Readable } from 'node:stream';

export class ImageNotFoundError extends Error {
  constructor(readonly ref: string) {
    super(`No image "${ref}" in the engine. Build or pull it first, or check the name (\`docker images\`).`);
    this.name = 'ImageNotFoundError';
  }
}

export interface ImageSummary {
  id: string;
  repoTags: string[];
  /** Config.User, '' when unset. */
  user: string;
  sizeBytes: number;
  labels: Record<string, string>;
}

function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number })?.statusCode;
}

/** `GET /images/{ref}/json`; a 404 becomes ImageNotFoundError. */
export async function inspectImageSummary(docker: Dockerode, ref: string, signal?: AbortSignal): Promise<ImageSummary> {
  try {
    const image = docker.getImage(ref);
    // inspect(opts) forwards abortSignal to the modem (dockerode's typings do not list it).
    const info = await image.inspect({ abortSignal: signal } as unknown as Parameters<typeof image.inspect>[0]);
    return {
      id: info.Id,
      repoTags: info.RepoTags ?? [],
      user: info.Config?.User ?? '',
      sizeBytes: info.Size,
      labels: (info.Config?.Labels ?? {}) as Record<string, string>,
    };
  } catch (e) {
    if (statusOf(e) === 404) throw new ImageNotFoundError(ref);
    throw e;
  }
}

/**
 * Opens the export stream of one image. Pass the image ID (from inspectImageSummary) rather than a
 * tag, so a tag moved in the meantime cannot change what is read.
 */
export function openImageExport(docker: Dockerode, id: string, signal?: AbortSignal): Promise<Readable> {
  return new Promise((resolve, reject) => {
    docker.modem.dial({
      path: `/images/${id}/get`,
      method: 'GET',
      isStream: true,
      abortSignal: signal,
      statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
      options: {},
    }, (err: unknown, stream: unknown) => {
      if (err) { reject(statusOf(err) === 404 ? new ImageNotFoundError(id) : err); return; }
      resolve(stream as Readable);
    });
  });
}
