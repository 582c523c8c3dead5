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
