// Which OS packages are build-time only. Used both to flag toolchains in a final stage and
// to decide what a rewrite keeps in the builder versus installs again in the runtime.

/** Compilers, build systems and language toolchains: never needed to *run* an application. */
const BUILD_TOOLS = new Set([
  'build-essential', 'build-base', 'gcc', 'g++', 'gcc-c++', 'cpp', 'make', 'cmake', 'ninja-build', 'ninja',
  'pkg-config', 'pkgconf', 'pkgconfig', 'autoconf', 'automake', 'libtool', 'clang', 'llvm', 'gfortran', 'binutils',
  'musl-dev', 'libc6-dev', 'libc-dev', 'linux-headers', 'golang', 'golang-go', 'go', 'rustc', 'cargo', 'rust',
  'default-jdk', 'default-jdk-headless', 'maven', 'gradle', 'ant', 'node-gyp', 'python3-dev', 'python-dev',
  'bison', 'flex', 'swig', 'nasm', 'yasm',
]);

/** Headers-only packages: `libpq-dev` (Debian), `openssl-dev` (Alpine), `zlib-devel` (RHEL). */
const DEV_PACKAGE = /-(dev|devel)$/;
const JDK_PACKAGE = /^openjdk-?\d*-jdk(-headless)?$|^java-[\d.]+-openjdk-devel$/;

export function isBuildPackage(pkg: string): boolean {
  const p = pkg.toLowerCase().replace(/:(amd64|arm64|i386)$/, '');
  return BUILD_TOOLS.has(p) || DEV_PACKAGE.test(p) || JDK_PACKAGE.test(p) || p.startsWith('.build-deps');
}

/** Tools a build uses to fetch sources; not worth shipping (kept in the builder by the rewrite). */
export function isFetchTool(pkg: string): boolean {
  return pkg === 'git' || pkg === 'mercurial' || pkg === 'subversion';
}

/**
 * Rough installed size of well-known toolchain packages on Debian bookworm amd64 with their
 * dependencies (what `apt-get install` reports as "additional disk space"). Estimates only.
 */
const TOOLCHAIN_BYTES: Record<string, number> = {
  'build-essential': 250e6, 'gcc': 150e6, 'g++': 190e6, 'clang': 400e6, 'cmake': 50e6, 'default-jdk': 350e6,
  'golang': 450e6, 'golang-go': 450e6, 'rustc': 300e6, 'cargo': 350e6, 'maven': 400e6, 'gradle': 500e6,
  'build-base': 200e6, 'python3-dev': 60e6,
};

/** The largest known estimate among the packages (they share dependencies, so not a sum). */
export function toolchainEstimate(pkgs: string[]): number | null {
  let best: number | null = null;
  for (const p of pkgs) { const b = TOOLCHAIN_BYTES[p.toLowerCase()]; if (b !== undefined && (best === null || b > best)) best = b; }
  return best;
}

/** The distribution family a runtime stage installs packages on (decides package names). */
export interface Distro { family: 'debian' | 'ubuntu' | 'alpine'; release: string | null }

// Headers package → the shared library a native extension built against it loads at runtime.
// Debian names are bookworm's; the entries that differ per release carry the other names
// (trixie's t64 libraries also answer to the old names). Libraries whose package name carries a
// soname that changes every release (libicu72, libzip4) are left out rather than guessed.
// Server packages (postgresql, mariadb-server) are never the answer: the client library is.
const DEBIAN_RUNTIME: Record<string, string | Record<string, string>> = {
  'libpq-dev': 'libpq5', 'postgresql-server-dev-all': 'libpq5',
  'libjpeg-dev': 'libjpeg62-turbo', 'libjpeg62-turbo-dev': 'libjpeg62-turbo',
  'default-libmysqlclient-dev': 'libmariadb3', 'libmariadb-dev': 'libmariadb3', 'libmariadb-dev-compat': 'libmariadb3', 'libmariadbclient-dev': 'libmariadb3',
  'libxml2-dev': 'libxml2', 'libxslt1-dev': 'libxslt1.1', 'libxslt-dev': 'libxslt1.1',
  'libffi-dev': { bullseye: 'libffi7', buster: 'libffi6', default: 'libffi8' },
  'libssl-dev': { bullseye: 'libssl1.1', buster: 'libssl1.1', trixie: 'libssl3t64', default: 'libssl3' },
  'zlib1g-dev': 'zlib1g', 'libpng-dev': 'libpng16-16', 'libyaml-dev': 'libyaml-0-2', 'libsqlite3-dev': 'libsqlite3-0',
  'libcurl4-openssl-dev': { trixie: 'libcurl4t64', default: 'libcurl4' }, 'libmagic-dev': 'libmagic1', 'libgeos-dev': 'libgeos-c1v5',
  'libldap2-dev': { bullseye: 'libldap-2.4-2', buster: 'libldap-2.4-2', trixie: 'libldap2', default: 'libldap-2.5-0' },
  'libsasl2-dev': 'libsasl2-2', 'libfreetype6-dev': 'libfreetype6', 'libfreetype-dev': 'libfreetype6',
  'libwebp-dev': { bullseye: 'libwebp6', buster: 'libwebp6', default: 'libwebp7' },
  'libtiff-dev': { bullseye: 'libtiff5', buster: 'libtiff5', default: 'libtiff6' }, 'libtiff5-dev': 'libtiff5',
  'libzstd-dev': 'libzstd1', 'liblzma-dev': 'liblzma5', 'libbz2-dev': 'libbz2-1.0', 'libgmp-dev': 'libgmp10',
  'libsodium-dev': 'libsodium23', 'libsnappy-dev': 'libsnappy1v5', 'libuv1-dev': 'libuv1',
  'libcairo2-dev': 'libcairo2', 'libopenblas-dev': 'libopenblas0', 'libblas-dev': 'libblas3', 'liblapack-dev': 'liblapack3',
  'unixodbc-dev': 'unixodbc', 'libkrb5-dev': 'libgssapi-krb5-2',
  'libedit-dev': 'libedit2', 'libonig-dev': 'libonig5',
  'libpcre2-dev': 'libpcre2-8-0', 'libevent-dev': 'libevent-2.1-7',
};
// Ubuntu differs from Debian for a few (jammy/noble names).
const UBUNTU_RUNTIME: Record<string, string> = {
  'libjpeg-dev': 'libjpeg8', 'libjpeg-turbo8-dev': 'libjpeg-turbo8', 'default-libmysqlclient-dev': 'libmysqlclient21', 'libmysqlclient-dev': 'libmysqlclient21',
  'libffi-dev': 'libffi8', 'libssl-dev': 'libssl3', 'libtiff-dev': 'libtiff5', 'libldap2-dev': 'libldap-2.5-0'
};
const ALPINE_RUNTIME: Record<string, string> = {
  'postgresql-dev': 'libpq', 'libpq-dev': 'libpq', 'jpeg-dev': 'libjpeg-turbo', 'libjpeg-turbo-dev': 'libjpeg-turbo',
  'mariadb-dev': 'mariadb-connector-c', 'mariadb-connector-c-dev': 'mariadb-connector-c', 'mysql-dev': 'mariadb-connector-c',
  'libxml2-dev': 'libxml2', 'libxslt-dev': 'libxslt', 'libffi-dev': 'libffi', 'openssl-dev': 'libssl3', 'libressl-dev': 'libressl',
  'zlib-dev': 'zlib', 'libpng-dev': 'libpng', 'freetype-dev': 'freetype', 'yaml-dev': 'yaml', 'sqlite-dev': 'sqlite-libs',
  'curl-dev': 'libcurl', 'geos-dev': 'geos', 'gmp-dev': 'gmp', 'libsodium-dev': 'libsodium', 'pcre-dev': 'pcre', 'pcre2-dev': 'pcre2',
  'libwebp-dev': 'libwebp', 'tiff-dev': 'tiff', 'zstd-dev': 'zstd-libs', 'xz-dev': 'xz-libs', 'bzip2-dev': 'libbz2', 'unixodbc-dev': 'unixodbc',
  'krb5-dev': 'krb5-libs', 'openldap-dev': 'libldap', 'cyrus-sasl-dev': 'libsasl', 'libzip-dev': 'libzip', 'icu-dev': 'icu-libs',
  'oniguruma-dev': 'oniguruma', 'libevent-dev': 'libevent', 'gdal-dev': 'gdal', 'proj-dev': 'proj', 'cairo-dev': 'cairo', 'openblas-dev': 'openblas',
};

/** Database servers installed only to build a client extension: the runtime needs the client library. */
const SERVER_TO_CLIENT: Record<string, { debian: string; alpine: string }> = {
  postgresql: { debian: 'libpq5', alpine: 'libpq' }, 'postgresql-server': { debian: 'libpq5', alpine: 'libpq' },
  'mariadb-server': { debian: 'libmariadb3', alpine: 'mariadb-connector-c' }, 'mysql-server': { debian: 'libmariadb3', alpine: 'mariadb-connector-c' },
  mariadb: { debian: 'libmariadb3', alpine: 'mariadb-connector-c' },
};

/** Whether a package is a database server (never reinstalled as a "runtime package" of an app). */
export function isServerPackage(pkg: string): boolean {
  return Object.hasOwn(SERVER_TO_CLIENT, pkg.toLowerCase()) || /^postgresql(-\d+)?(-contrib)?$/.test(pkg.toLowerCase());
}

/**
 * The runtime library a `-dev` (or server) package stands for, on the runtime's distribution;
 * null when the package has no known runtime counterpart (pure headers, toolchain parts).
 */
export function runtimeLibraryFor(pkg: string, distro: Distro): string | null {
  const p = pkg.toLowerCase().replace(/:(amd64|arm64|i386)$/, '');
  const server = SERVER_TO_CLIENT[p] ?? (/^postgresql(-\d+)?(-contrib)?$/.test(p) ? SERVER_TO_CLIENT.postgresql! : undefined);
  if (server) return distro.family === 'alpine' ? server.alpine : server.debian;
  if (distro.family === 'alpine') return ALPINE_RUNTIME[p] ?? null;
  if (distro.family === 'ubuntu' && UBUNTU_RUNTIME[p]) return UBUNTU_RUNTIME[p]!;
  const e = DEBIAN_RUNTIME[p];
  if (e === undefined) return null;
  if (typeof e === 'string') return e;
  return e[distro.release ?? ''] ?? e.default ?? null;
}

/** Python packages that compile against a system library and load it at runtime (no self-contained wheel). */
const PIP_NATIVE: Record<string, { debian: string; alpine: string }> = {
  psycopg2: { debian: 'libpq5', alpine: 'libpq' }, mysqlclient: { debian: 'libmariadb3', alpine: 'mariadb-connector-c' },
  'python-ldap': { debian: 'libldap-2.5-0', alpine: 'libldap' }, pyodbc: { debian: 'unixodbc', alpine: 'unixodbc' },
};

export function pipNativeLibrary(spec: string, distro: Distro): string | null {
  const name = spec.toLowerCase().replace(/\[.*$/, '').replace(/[<>=!~;@ ].*$/, '');
  const e = PIP_NATIVE[name];
  if (!e) return null;
  if (name === 'python-ldap' && distro.family !== 'alpine') return runtimeLibraryFor('libldap2-dev', distro);
  return distro.family === 'alpine' ? e.alpine : e.debian;
}

// Commands the full official language images (buildpack-deps) have and their -slim variants do
// not, with the package that brings each back. A rewrite that moves a RUN, HEALTHCHECK or
// entrypoint onto a slim base reinstalls these, or does not swap the base.
const FULL_ONLY_COMMANDS: Record<string, { debian: string; alpine: string } | 'build'> = {
  curl: { debian: 'curl', alpine: 'curl' }, wget: { debian: 'wget', alpine: 'wget' }, git: { debian: 'git', alpine: 'git' },
  gpg: { debian: 'gnupg', alpine: 'gnupg' }, unzip: { debian: 'unzip', alpine: 'unzip' }, zip: { debian: 'zip', alpine: 'zip' },
  ssh: { debian: 'openssh-client', alpine: 'openssh-client' }, scp: { debian: 'openssh-client', alpine: 'openssh-client' },
  ps: { debian: 'procps', alpine: 'procps' }, pgrep: { debian: 'procps', alpine: 'procps' }, jq: { debian: 'jq', alpine: 'jq' },
  netcat: { debian: 'netcat-openbsd', alpine: 'netcat-openbsd' }, nc: { debian: 'netcat-openbsd', alpine: 'netcat-openbsd' },
  file: { debian: 'file', alpine: 'file' }, patch: { debian: 'patch', alpine: 'patch' }, bzip2: { debian: 'bzip2', alpine: 'bzip2' },
  hg: { debian: 'mercurial', alpine: 'mercurial' }, svn: { debian: 'subversion', alpine: 'subversion' }, psql: { debian: 'postgresql-client', alpine: 'postgresql-client' },
  mysql: { debian: 'default-mysql-client', alpine: 'mariadb-client' },
  gcc: 'build', 'g++': 'build', cc: 'build', make: 'build', cmake: 'build', autoconf: 'build', 'pkg-config': 'build', ld: 'build',
};

/**
 * The package a slim runtime must install for `command` (`curl` → curl), `'build'` for a
 * compiler or build tool (which a runtime should not run), null when slim images have it.
 */
export function slimMissingCommand(command: string, family: 'debian' | 'ubuntu' | 'alpine'): string | 'build' | null {
  const e = FULL_ONLY_COMMANDS[command.replace(/^.*\//, '')];
  if (!e) return null;
  if (e === 'build') return 'build';
  return family === 'alpine' ? e.alpine : e.debian;
}

/** Packages that are build-time only or stand in for a runtime library (`-dev`, servers). */
export function isBuildOrServerPackage(pkg: string): boolean {
  return isBuildPackage(pkg) || isServerPackage(pkg);
}
