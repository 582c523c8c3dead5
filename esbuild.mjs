// Two bundles: the extension host + CLI (node, cjs, `vscode` external) and the
// webview (browser, esm). `--production` minifies; `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
};

const hostEntries = { extension: 'src/extension.ts', cli: 'src/cli/main.ts' };

const builds = [
  {
    ...common,
    entryPoints: hostEntries,
    outdir: 'dist',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // vscode is provided by the host; ssh2's optional native crypto and cpu-features are
    // optional requires inside dockerode's transport that must stay lazy.
    external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
    banner: { js: '' },
  },
];

if (existsSync('webview/main.ts')) {
  builds.push({
    ...common,
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
  });
}

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
