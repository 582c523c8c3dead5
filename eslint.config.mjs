import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

// No shell anywhere: programs run through execFile/spawn with an argument array.
const noShell = ['child_process', 'node:child_process'].map((name) => ({
  name, importNames: ['exec', 'execSync'], message: 'No shell: use execFile/spawn with an argument array.',
}));
const vscodeBan = { name: 'vscode', message: 'Domain code must not depend on VS Code (DESIGN.md convention 3).' };
const dockerodeBan = { name: 'dockerode', message: 'src/core must not talk to the engine; that belongs in src/engine.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/e2e/artifacts/**', '.cache/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: noShell }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...noShell, vscodeBan, dockerodeBan],
        patterns: [{ group: ['**/engine/**', '**/vscode/**', '**/cli/**', '**/view/**', '../engine*', '../vscode*', '../cli*', '../view*'], message: 'src/core depends on nothing else in src.' }],
      }],
    },
  },
  {
    // The view model and the host/webview protocol are bundled into the webview too: pure data code
    // that may use src/core only (and not core/hash, which needs node:crypto), never Node or VS Code.
    files: ['src/view/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...noShell, vscodeBan, { ...dockerodeBan, message: 'src/view must not talk to the engine.' },
          { name: '../core/hash', message: 'core/hash needs node:crypto; compare texts with core/dockerfileText.' },
          ...builtinModules.map((name) => ({ name, message: 'src/view runs in the webview: no Node built-ins.' }))],
        patterns: [
          { group: ['node:*'], message: 'src/view runs in the webview: no Node built-ins.' },
          { group: ['**/engine/**', '**/vscode/**', '**/cli/**', '../engine*', '../vscode*', '../cli*'], message: 'src/view depends on src/core only.' },
        ],
      }],
    },
  },
  {
    files: ['src/engine/**/*.ts', 'src/cli/**/*.ts', 'webview/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [...noShell, vscodeBan] }] },
  },
);
