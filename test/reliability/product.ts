// The product's stage analysis as the reliability tests drive it: a Dockerfile text (and extra
// files) in a fresh context folder, built with network none.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeStages } from '../../src/engine/analyze';
import type { EngineConnection } from '../../src/engine/connection';

export interface AnalyzeRun {
  run(conn: EngineConnection, dockerfile: string, opts?: { signal?: AbortSignal; onProgress?: (e: unknown) => void; buildArgs?: Record<string, string>; files?: Record<string, string | Buffer>; builder?: 'buildkit' | 'classic' }): Promise<unknown>;
}

export async function loadAnalyze(): Promise<AnalyzeRun> {
  return {
    run: (conn, dockerfile, opts = {}) => {
      const dir = mkdtempSync(join(tmpdir(), 'sl-rel-ctx-'));
      writeFileSync(join(dir, 'Dockerfile'), dockerfile);
      for (const [name, body] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), body);
      return analyzeStages({
        connection: conn, dockerfilePath: join(dir, 'Dockerfile'), text: dockerfile, contextDir: dir,
        buildArgs: opts.buildArgs ?? {}, network: 'none', signal: opts.signal, onProgress: opts.onProgress, builder: opts.builder,
      });
    },
  };
}
