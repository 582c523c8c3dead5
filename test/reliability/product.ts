// Late-bound access to product modules that other engineers are still landing: a test that
// needs one reports a todo instead of failing to load while it is absent.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineConnection } from '../../src/engine/connection';

function optional(paths: string[]): Record<string, unknown> | null {
  for (const p of paths) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(p) as Record<string, unknown>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String((e as Error).message).includes(p.split('/').pop()!)) throw e;
    }
  }
  return null;
}

export interface AnalyzeRun {
  run(conn: EngineConnection, dockerfile: string, opts?: { signal?: AbortSignal; onProgress?: (e: unknown) => void; buildArgs?: Record<string, string>; files?: Record<string, string | Buffer>; builder?: 'buildkit' | 'classic' }): Promise<unknown>;
}

export async function loadAnalyze(): Promise<AnalyzeRun | null> {
  const mod = optional(['../../src/engine/analyze', '../../src/engine/index', '../../src/engine/build']);
  const analyzeStages = mod?.analyzeStages as ((o: Record<string, unknown>) => Promise<unknown>) | undefined;
  if (!analyzeStages) return null;
  return {
    run: (conn, dockerfile, opts = {}) => {
      const dir = mkdtempSync(join(tmpdir(), 'sl-rel-ctx-'));
      writeFileSync(join(dir, 'Dockerfile'), dockerfile);
      for (const [name, body] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), body);
      return analyzeStages({
        ...conn, connection: conn, dockerfilePath: join(dir, 'Dockerfile'), dockerfileText: dockerfile, contextDir: dir,
        buildArgs: opts.buildArgs ?? {}, network: 'none', signal: opts.signal, onProgress: opts.onProgress, builder: opts.builder,
      });
    },
  };
}
