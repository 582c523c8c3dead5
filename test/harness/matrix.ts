// What the engine-matrix tests need besides a connection: which engine is under test (product,
// version, API, image store — read from the engine itself, never from Stage Lens code), a
// REFERENCE build that is independent of Stage Lens (the engine's own client: docker buildx or
// the docker CLI's BuildKit mode for Docker, the podman CLI for Podman), and the unpacked size
// of an image as the engine counts it.
//
// Why the history sum is the reference size: an image's unpacked size is the sum of its layers'
// uncompressed sizes, which is what `docker history`, `docker image ls` on overlay2 and dive show,
// and it means the same on every store. `GET /images/{id}/json` `Size` does not (the containerd
// store reports the compressed content size there), and an export's tar sizes count tar headers
// (about 512 bytes per file: over 1 % of the busybox base layer). So the reference is
// Σ `GET /images/{ref}/history` `Size` of an image built BY HAND from the same Dockerfile
// target, and on stores where inspect `Size` is unpacked (overlay2, Podman) the harness checks
// that the engine agrees with itself (Σ history = inspect Size) before trusting it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type Dockerode from 'dockerode';

export interface EngineFacts {
  /** The matrix name (STAGELENS_TEST_ENGINE), or `main` for the main test engine. */
  name: string;
  product: 'Docker' | 'Podman';
  version: string;
  api: string;
  /** `containerd (overlayfs)` on the containerd image store, else the graph driver (overlay2, overlay, vfs). */
  store: string;
  containerdStore: boolean;
  containerd: string | null;
}

interface VersionComponent { Name?: string; Version?: string }

/** Reads product, version, API version and image store from GET /version and GET /info. */
export async function engineFacts(docker: Dockerode): Promise<EngineFacts> {
  const v = (await docker.version()) as unknown as { Version: string; ApiVersion: string; Components?: VersionComponent[] };
  const info = (await docker.info()) as { Driver: string; DriverStatus?: [string, string][] };
  const podman = (v.Components ?? []).find((c) => /podman/i.test(c.Name ?? ''));
  const driverType = (info.DriverStatus ?? []).find(([k]) => k === 'driver-type')?.[1];
  const containerdStore = driverType === 'io.containerd.snapshotter.v1';
  return {
    name: process.env.STAGELENS_TEST_ENGINE || 'main',
    product: podman ? 'Podman' : 'Docker',
    version: podman?.Version ?? v.Version,
    api: v.ApiVersion,
    store: containerdStore ? `containerd (${info.Driver})` : info.Driver,
    containerdStore,
    containerd: (v.Components ?? []).find((c) => c.Name === 'containerd')?.Version ?? null,
  };
}

export function describeFacts(f: EngineFacts): string {
  return `${f.name}: ${f.product} ${f.version}, API ${f.api}, store ${f.store}${f.containerd ? `, containerd ${f.containerd}` : ''}`;
}

/** Σ of the uncompressed layer sizes in the image's history, as the engine reports them. */
export async function unpackedLayerSum(docker: Dockerode, ref: string): Promise<number> {
  const history = (await docker.getImage(ref).history()) as { Size: number }[];
  return history.reduce((a, h) => a + h.Size, 0);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, maxBuffer: 32 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${String(stderr).trim().split('\n').slice(-10).join('\n')}`));
      else resolve(stdout);
    });
  });
}

export interface ReferenceBuilder {
  /** What builds the reference image, for the test output. */
  tool: string;
  build(opts: { dockerfile: string; context: string; target: string; tag: string }): Promise<void>;
}

const cacheDir = join(process.env.STAGELENS_CACHE ?? '/var/cache/stagelens', 'engines');

/**
 * The engine's own client, not Stage Lens: `docker buildx build` (Debian's buildx as a CLI
 * plugin; it sends the context through a BuildKit session and loads the image into the engine)
 * for Docker; the podman CLI on the service's own storage (read from the libpod info endpoint)
 * for Podman.
 */
export async function referenceBuilder(host: string, facts: EngineFacts): Promise<ReferenceBuilder> {
  if (facts.product === 'Podman') {
    const info = await podmanStore(host);
    if (!info) throw new Error('cannot read the Podman service storage (GET /libpod/info) for the reference build');
    const global = ['--root', info.graphRoot, '--runroot', info.runRoot, '--storage-driver', info.driver, '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
    return {
      tool: `podman ${facts.version} CLI (Buildah) on ${info.driver} storage ${info.graphRoot}`,
      build: async ({ dockerfile, context, target, tag }) => {
        await run('podman', [...global, 'build', '--network', 'none', '--layers', '--target', target, '-t', tag, '-f', dockerfile, context], process.env);
      },
    };
  }
  const cfg = await buildxConfig();
  const env = { ...process.env, DOCKER_CONFIG: cfg, DOCKER_HOST: host };
  const version = (await run('docker', ['buildx', 'version'], env)).trim();
  return {
    tool: `docker CLI + ${version}`,
    build: async ({ dockerfile, context, target, tag }) => {
      await run('docker', ['buildx', 'build', '--progress', 'plain', '--network', 'none', '--load', '--target', target, '-t', tag, '-f', dockerfile, context], env);
    },
  };
}

/**
 * A DOCKER_CONFIG holding docker-buildx as a CLI plugin: Debian unstable's when fetched, else
 * Debian 13's, fetched now if need be (Debian 12 has no buildx, and its docker CLI refuses
 * DOCKER_BUILDKIT=1 without it). scripts/engines.mjs caches and locks the download.
 */
async function buildxConfig(): Promise<string> {
  const found = (): string | undefined => ['sid', 'trixie'].map((s) => join(cacheDir, s, 'docker-config')).find((c) => existsSync(join(c, 'cli-plugins', 'docker-buildx')));
  const have = found();
  if (have) return have;
  const script = join(__dirname, '..', '..', 'scripts', 'engines.mjs');
  // `env` writes the plugin folder of a fetched suite; `fetch` gets trixie first if it is missing.
  await run(process.execPath, [script, 'fetch', 'docker26-overlay2'], process.env);
  await run(process.execPath, [script, 'buildx-config', 'trixie'], process.env);
  const now = found();
  if (!now) throw new Error('no docker-buildx for the reference builds: `node scripts/engines.mjs fetch docker26-overlay2` did not provide one');
  return now;
}

/** Podman's own storage locations, from its native (libpod) API on the same socket. */
async function podmanStore(host: string): Promise<{ graphRoot: string; runRoot: string; driver: string } | null> {
  if (!host.startsWith('unix://')) return null;
  const body = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: host.slice('unix://'.length), path: '/v4.0.0/libpod/info', headers: { Host: 'podman' } }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { b += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(b) : reject(new Error(`GET /libpod/info: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
  const store = (JSON.parse(body) as { store?: { graphRoot?: string; runRoot?: string; graphDriverName?: string } }).store;
  if (!store?.graphRoot || !store.runRoot || !store.graphDriverName) return null;
  return { graphRoot: store.graphRoot, runRoot: store.runRoot, driver: store.graphDriverName };
}
