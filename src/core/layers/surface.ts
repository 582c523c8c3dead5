// Plain facts about what the final image still carries, for the panel's final-image summary.
import { modeString } from './paths';
import type { ImageConfigJson } from './read';
import { Hint, type PathNode, type PathTrie, type Span } from './tree';
import type { LayerSource, SurfaceFacts, SurfacePath } from './types';

const BIN_DIRS = new Set(['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']);

const COMPILERS = [
  /^(gcc|g\+\+|cc|c\+\+|cpp|clang|clang\+\+|gfortran)(-\d+(\.\d+)*)?$/,
  /^[a-z0-9_]+-(linux|pc)-[a-z0-9_-]*-(gcc|g\+\+|cpp)(-\d+(\.\d+)*)?$/,
  /^(make|gmake|cmake|ninja|meson|autoconf|automake|libtool|pkg-config|ld|ld\.bfd|ld\.gold|go|rustc|cargo|javac|mvn|gradle|tcc)$/,
];
const PACKAGE_MANAGERS = [
  /^(apt|apt-get|aptitude|dpkg|apk|yum|dnf|microdnf|rpm|zypper|pacman)$/,
  /^(pip|pip3|pip3\.\d+|pipx|poetry|pipenv|conda|uv|npm|npx|yarn|pnpm|gem|bundle|composer)$/,
];
const SHELLS = /^(sh|bash|ash|dash|zsh|ksh|mksh|fish|csh|tcsh|busybox)$/;

const CAP = 200;

function isRoot(user: string): boolean {
  const name = user.split(':')[0]!.trim();
  return name === '' || name === 'root' || name === '0';
}

/** Scans the final filesystem (every path live after the top layer). */
export function surfaceFacts(trie: PathTrie, config: ImageConfigJson | null, sources: ReadonlyArray<LayerSource | null>): SurfaceFacts {
  const user = config?.config?.User ?? '';
  const facts: SurfaceFacts = { compilers: [], packageManagers: [], shells: [], setuid: [], worldWritableDirs: [], secrets: [], user, runsAsRoot: isRoot(user), omitted: {} };
  const push = <T extends SurfacePath>(key: keyof SurfaceFacts & string, list: T[], item: T): void => {
    if (list.length < CAP) list.push(item);
    else facts.omitted[key] = (facts.omitted[key] ?? 0) + 1;
  };
  const at = (path: string, s: Span): SurfacePath => ({ path, layer: s.from, line: sources[s.from]?.line ?? null });

  // Depth-first so each list comes out in path order; `.git` directories are reported once.
  const visit = (node: PathNode, dir: string): void => {
    const inBin = BIN_DIRS.has(dir);
    const kids = node.children ? [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : [];
    for (const c of kids) {
      const s = c.live();
      if (!s) continue;
      const name = c.name;
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (s.type !== 'dir') {
        if (inBin) {
          if (COMPILERS.some((r) => r.test(name))) push('compilers', facts.compilers, at(path, s));
          else if (PACKAGE_MANAGERS.some((r) => r.test(name))) push('packageManagers', facts.packageManagers, at(path, s));
          else if (SHELLS.test(name)) push('shells', facts.shells, at(path, s));
        }
        if (s.type === 'file' && (s.mode & 0o6000) !== 0) {
          push('setuid', facts.setuid, { ...at(path, s), mode: modeString(s.mode), setuid: (s.mode & 0o4000) !== 0, setgid: (s.mode & 0o2000) !== 0 });
        }
        const reason = secretReason(name, s, c);
        if (reason) push('secrets', facts.secrets, { ...at(path, s), reason });
        continue;
      }
      if (!s.implicit && (s.mode & 0o002) !== 0) {
        push('worldWritableDirs', facts.worldWritableDirs, { ...at(path, s), mode: modeString(s.mode), sticky: (s.mode & 0o1000) !== 0 });
      }
      if (name === '.git') { push('secrets', facts.secrets, { ...at(path, s), reason: 'git repository (history may hold secrets)' }); continue; }
      visit(c, path);
    }
  };
  visit(trie.root, '/');
  return facts;
}

function secretReason(name: string, s: Span, node: PathNode): string | null {
  if (name === '.env' || /^\.env\.[\w.-]+$/.test(name) && !/\.(example|sample|template|dist)$/.test(name)) return 'dotenv file';
  if (/^id_(rsa|dsa|ecdsa|ed25519)$/.test(name)) return 'SSH private key';
  if (s.hints & Hint.PrivateKey) return 'private key (PEM)';
  if (name === '.npmrc' && s.hints & Hint.NpmToken) return '.npmrc with _authToken';
  if (name === '.netrc' || name === '.git-credentials' || name === '.pypirc') return 'credentials file';
  if (name === 'credentials' && node.parent?.name === '.aws') return 'AWS credentials';
  return null;
}
