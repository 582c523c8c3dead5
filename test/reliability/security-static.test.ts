// Static security properties of the product code, checked on the source itself so a change
// that breaks them fails here even where lint is skipped:
// - no shell anywhere: the engine is reached through its API, never a command line;
// - the webview renders Dockerfile and image content as text (no innerHTML / unsafeHTML / eval);
// - every webview page the host builds carries a strict CSP with a nonce and no inline handlers.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { recordSecurity } from './figures';

const repo = join(__dirname, '..', '..');

function sources(dir: string, exts = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) { if (n !== 'node_modules') walk(p); }
      else if (exts.test(n)) out.push({ path: relative(repo, p), text: readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

/** Strips comments so a sentence like "never exec()" in a comment is not a finding. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function hits(files: { path: string; text: string }[], re: RegExp): string[] {
  const found: string[] = [];
  for (const f of files) {
    const lines = code(f.text).split('\n');
    lines.forEach((l, i) => { if (re.test(l)) found.push(`${f.path}:${i + 1}: ${l.trim().slice(0, 120)}`); });
  }
  return found;
}

const product = [...sources(join(repo, 'src')), ...sources(join(repo, 'webview'))];

describe('security: static checks of the source', () => {
  it('finds product sources to check', () => {
    assert.ok(product.length >= 5, `only ${product.length} files under src/ and webview/`);
  });

  // Two programs only, each in one module with an argument array: git (the committed Dockerfile
  // for Compare with HEAD / `stagelens diff`) and ssh (ssh:// engines, as the docker CLI does).
  const PROCESS_MODULES = new Set(['src/engine/git.ts', 'src/engine/ssh.ts']);

  it('product code starts no process outside the git and ssh modules, and never a shell', () => {
    const elsewhere = hits(product.filter((f) => !PROCESS_MODULES.has(f.path)), /\bchild_process\b|\bexecSync\s*\(|\bexecFileSync\s*\(|\bspawn\s*\(|\bexecFile\s*\(/);
    const shells = hits(product, /\bshell\s*:\s*true\b|\bexecSync\s*\(|(?<![\w.])exec\s*\(|\{[^}]*\bexec\b[^}]*\}\s*from\s*['"](node:)?child_process/);
    recordSecurity('no-shell-product', elsewhere.length === 0 && shells.length === 0);
    assert.deepEqual(elsewhere, [], 'the engine is reached through its HTTP API; only git.ts and ssh.ts start programs');
    assert.deepEqual(shells, [], 'no shell and no exec(): programs get argument arrays');
  });

  it('the git and ssh modules exist and start their one program with an argument array', () => {
    for (const p of PROCESS_MODULES) {
      const f = product.find((x) => x.path === p);
      assert.ok(f, `${p} is missing: update PROCESS_MODULES`);
      assert.match(code(f.text), /\b(execFile|spawn)\s*\(\s*[\w!'"]+\s*,\s*(\[|args\b)/, `${p} passes an argument array`);
    }
  });

  it('scripts and tests that do start processes never go through a shell', () => {
    const others = [...sources(join(repo, 'scripts')), ...sources(join(repo, 'test')), ...sources(join(repo, 'bench'))]
      .filter((f) => !f.path.startsWith('test/reliability/security-static'));
    const found = hits(others, /\bshell\s*:\s*true\b|\bexecSync\s*\(|(?<![\w.])exec\s*\(\s*[`'"]|child_process['"]\)\.exec\b|\{[^}]*\bexec\b[^}]*\}\s*from\s*['"](node:)?child_process/);
    recordSecurity('no-shell-scripts', found.length === 0);
    assert.deepEqual(found, []);
  });

  it('no eval, new Function or string timers in product code', () => {
    const found = hits(product, /(?<![\w.])eval\s*\(|\bnew\s+Function\s*\(|setTimeout\s*\(\s*['"`]|setInterval\s*\(\s*['"`]/);
    recordSecurity('no-eval', found.length === 0);
    assert.deepEqual(found, []);
  });

  it('the webview renders content as text: no innerHTML/outerHTML/insertAdjacentHTML/unsafeHTML/document.write', () => {
    const web = [...sources(join(repo, 'webview')), ...sources(join(repo, 'src', 'vscode'))];
    const found = hits(web, /\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|\bunsafeHTML\b|\bunsafeSVG\b|document\.write\s*\(|createContextualFragment/);
    recordSecurity('webview-text-only', found.length === 0);
    assert.deepEqual(found, []);
  });

  it('every webview page built by the host has a strict CSP: default-src none, nonce scripts, no inline handlers', (t) => {
    const host = sources(join(repo, 'src'));
    const pages = host.filter((f) => /Content-Security-Policy/i.test(f.text));
    if (pages.length === 0) { t.todo('no webview HTML in src/ yet'); return; }
    const problems: string[] = [];
    for (const f of pages) {
      const c = code(f.text);
      if (!/default-src 'none'/.test(c)) problems.push(`${f.path}: CSP lacks default-src 'none'`);
      if (!/script-src[^;"]*'nonce-/.test(c)) problems.push(`${f.path}: scripts not limited by nonce`);
      if (/script-src[^;"]*'unsafe-(inline|eval)'/.test(c)) problems.push(`${f.path}: script-src allows unsafe-inline/unsafe-eval`);
      if (/<[a-z][^>]*\son[a-z]+\s*=/i.test(c)) problems.push(`${f.path}: inline event handler attribute in HTML`);
      if (/<script(?![^>]*nonce)[^>]*>/i.test(c)) problems.push(`${f.path}: <script> without nonce`);
      // A nonce must be fresh per page and unguessable, not a constant.
      if (!/randomBytes|randomUUID|getRandomValues/.test(c) && !host.some((h) => /nonce/i.test(h.text) && /randomBytes|randomUUID|getRandomValues/.test(h.text))) problems.push(`${f.path}: nonce not from a CSPRNG`);
    }
    recordSecurity('webview-csp', problems.length === 0);
    assert.deepEqual(problems, []);
  });
});
