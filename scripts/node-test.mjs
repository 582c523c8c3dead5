// Node 20's test runner takes no globs, so this finds `*.test.ts` under the given folders
// and hands them to `node --test` with tsx as the TypeScript loader.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const dirs = args.filter((a) => !a.startsWith('--'));
const extra = args.filter((a) => a.startsWith('--'));
const files = [];
const walk = (d) => {
  for (const n of readdirSync(d).sort()) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) { if (n !== 'node_modules' && n !== 'artifacts') walk(p); }
    else if (n.endsWith('.test.ts')) files.push(p);
  }
};
for (const d of dirs) walk(d);
if (files.length === 0) { console.error(`no *.test.ts under ${dirs.join(', ')}`); process.exit(1); }
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...extra, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
