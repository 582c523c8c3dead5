// Pure parts of the BuildKit session: moby/patternmatcher semantics, fsutil's filtered walk
// (order, lazily sent parents, follow paths, hardlinks), Go FileMode bits and the wire encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanPath, dedupePaths, parseIgnoreFile, PatternMatcher, type MatchInfo } from '../../../src/engine/session/patterns';
import { carriesData, compareNames, goFileMode, GO_MODE } from '../../../src/engine/session/stat';
import { DiskTree, VirtualTree, walkTree, type FilterOptions } from '../../../src/engine/session/tree';
import { decodePacket, encodePacket, FrameDecoder, frame, PACKET } from '../../../src/engine/session/wire';
import { decodeOpts } from '../../../src/engine/session/filesync';

/** Walks `path`'s parents first, as fsutil does, then matches `path` with their results. */
function walkMatch(pm: PatternMatcher, path: string): boolean {
  const parts = path.split('/');
  let info: MatchInfo | null = null;
  for (let i = 1; i < parts.length; i++) info = pm.matchesUsingParentResults(parts.slice(0, i).join('/'), info).info;
  return pm.matchesUsingParentResults(path, info).matched;
}

test('single patterns match as moby/patternmatcher does', () => {
  const cases: [string, string, boolean][] = [
    ['**', 'x', true], ['**', 'deep/down/x', true], ['**/', 'x', true],
    ['src/**', 'src/a', true], ['src/**', 'src/a/b', true], ['src/**', 'src', false],
    ['**/cache', 'cache', true], ['**/cache', 'a/cache/x', true], ['**/lib/*', 'a/lib/x', true],
    ['**x', 'x', true], ['**x', 'abx', true], ['**x', 'a/b/box', true],
    ['**/*.md', 'README.md', true], ['**/**/*.md', 'a/b/c.md', true], ['**/*.md2', 'a/c.md', false],
    ['p**/*.md', 'p/a.md', true], ['p**/*.md', 'p/q/r/a.md', true],
    ['d/*.txt', 'd/e/f.txt', false], ['d/*.txt', 'd/f.txt', true], ['d/*.txt**', 'd/f.txt', true],
    ['x[1-3]y', 'x2y', true], ['x[1-3]y', 'xy', false], ['x[^1-3]y', 'x9y', true],
    ['.*', '.env', true], ['.*', 'env', false],
    ['a.b', 'aXb', false], ['a.b', 'a.b', true], ['a?b', 'aXb', true], ['a?b', 'ab', false],
    ['**/.env', '.env', true], ['**/.env', 'x.env', false],
    ['q(r)s', 'q(r)s', true], ['w+x|y{z}$', 'w+x|y{z}$', true],
    ['pkg/*.whl', 'pkg/tool-1.0+local-py3-none-any.whl', true],
    ['a\\*b', 'a*b', true], ['a\\*b', 'aXb', false],
    ['ünï/*', 'ünï/çödé', true], ['?', 'é', true],
  ];
  for (const [pattern, path, want] of cases) {
    const pm = new PatternMatcher([pattern]);
    assert.equal(pm.matchesOrParentMatches(path), want, `${pattern} vs ${path} (or-parent)`);
    assert.equal(walkMatch(pm, path), want, `${pattern} vs ${path} (walking)`);
  }
});

test('exceptions and later patterns override earlier ones', () => {
  const pm = new PatternMatcher(['**', '!keep/this']);
  assert.equal(pm.matchesOrParentMatches('keep/this/file'), false);
  assert.equal(pm.matchesOrParentMatches('other'), true);
  const again = new PatternMatcher(['**', '!keep/this', 'keep/this/file']);
  assert.equal(again.matchesOrParentMatches('keep/this/file'), true);
  assert.throws(() => new PatternMatcher(['!']), /illegal exclusion/);
  assert.throws(() => new PatternMatcher(['a[b']), /syntax error/);
});

test('Go filepath.Clean and .dockerignore reading', () => {
  assert.equal(cleanPath(''), '.');
  assert.equal(cleanPath('./a//b/'), 'a/b');
  assert.equal(cleanPath('/../a'), '/a');
  assert.equal(cleanPath('../a/../../b'), '../../b');
  assert.deepEqual(parseIgnoreFile('\uFEFF# c\n /abs/x \n\n! /neg/y\nz/\n  # not a comment\n'), ['abs/x', '!neg/y', 'z', '# not a comment']);
  assert.deepEqual(dedupePaths(['a', 'a/b', 'ab', 'c']), ['a', 'ab', 'c']);
  assert.equal(dedupePaths(['a', '.']), null);
});

test('Go FileMode bits from st_mode; only regular files carry data', () => {
  assert.equal(goFileMode(0o100755), 0o755);
  assert.equal(goFileMode(0o040700), (GO_MODE.dir | 0o700) >>> 0);
  assert.equal(goFileMode(0o120777), GO_MODE.symlink | 0o777);
  assert.equal(goFileMode(0o104755), GO_MODE.setuid | 0o755);
  assert.equal(goFileMode(0o041777), (GO_MODE.dir | GO_MODE.sticky | 0o777) >>> 0);
  assert.equal(goFileMode(0o020666), GO_MODE.device | GO_MODE.charDevice | 0o666);
  assert.equal(carriesData(goFileMode(0o100644)), true);
  assert.equal(carriesData(goFileMode(0o104755)), true, 'setuid is not a type bit');
  assert.equal(carriesData(goFileMode(0o040755)), false);
  assert.equal(carriesData(goFileMode(0o120777)), false);
  assert.equal(carriesData(goFileMode(0o010644)), false);
});

test('packets round-trip with exact nanosecond times and the Go mode', () => {
  const stat = { path: 'dir/ünï.txt', mode: (GO_MODE.dir | 0o755) >>> 0, uid: 0, gid: 0, size: 5_000_000_000n, modTime: 1_733_500_000_123_456_789n, linkname: '', devmajor: 0, devminor: 0 };
  const back = decodePacket(encodePacket({ type: PACKET.STAT, stat }));
  assert.equal(back.type, PACKET.STAT);
  assert.deepEqual(back.stat, stat);
  const data = decodePacket(encodePacket({ type: PACKET.DATA, id: 7, data: Buffer.from('abc') }));
  assert.equal(data.id, 7);
  assert.equal(Buffer.from(data.data!).toString(), 'abc');
  assert.equal(encodePacket({ type: PACKET.STAT }).length, 0, 'the end-of-listing STAT is an empty message');
  const dec = new FrameDecoder();
  const two = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.from('second'))]);
  assert.deepEqual(dec.push(two.subarray(0, 6)).map(String), []);
  assert.deepEqual(dec.push(two.subarray(6)).map(String), ['one', 'second']);
});

test('metadata: repeated values kept, query-escaped values decoded when marked', () => {
  const md = new Map([['exclude-patterns', ['a,b', 'ü%2F%2A', 'x+y']], ['exclude-patterns-encoded', ['true']], ['dir-name', ['context']]]);
  const out = decodeOpts(md);
  assert.deepEqual(out.get('exclude-patterns'), ['a,b', 'ü/*', 'x y']);
  assert.deepEqual(out.get('dir-name'), ['context']);
  assert.deepEqual(decodeOpts(new Map([['include-patterns', ['a+b']]])).get('include-patterns'), ['a+b']);
});

function sample(): string {
  const d = mkdtempSync(join(tmpdir(), 'sl-walk-'));
  mkdirSync(join(d, 'a'));
  writeFileSync(join(d, 'a', 'b'), 'b');
  writeFileSync(join(d, 'a.txt'), 'x');
  writeFileSync(join(d, 'Z'), 'z');
  writeFileSync(join(d, 'é'), 'e');
  mkdirSync(join(d, 'build', 'keep'), { recursive: true });
  mkdirSync(join(d, 'build', 'tmp'), { recursive: true });
  writeFileSync(join(d, 'build', 'keep', 'app'), 'app');
  writeFileSync(join(d, 'build', 'tmp', 'junk'), 'j');
  mkdirSync(join(d, 'empty'));
  symlinkSync('a/b', join(d, 'link'));
  linkSync(join(d, 'a.txt'), join(d, 'hard'));
  return d;
}

const paths = async (root: string, f?: FilterOptions): Promise<string[]> => (await walkTree(new DiskTree(root), f)).map((i) => i.stat.path);

test('walk order: byte order of names, a directory before its contents (a, a/b, a.txt)', async () => {
  const d = sample();
  assert.deepEqual(await paths(d), ['Z', 'a', 'a/b', 'a.txt', 'build', 'build/keep', 'build/keep/app', 'build/tmp', 'build/tmp/junk', 'empty', 'hard', 'link', 'é']);
  assert.ok(compareNames('a/b', 'a.txt') > 0 && compareNames('\u{1F600}', '\uFFFD') > 0, 'UTF-8 byte order, not UTF-16');
});

test('walk filter: excluded directory still sent as the parent of an exception; skipped where nothing can match', async () => {
  const d = sample();
  assert.deepEqual(await paths(d, { excludePatterns: ['build', '!build/keep/app'] }),
    ['Z', 'a', 'a/b', 'a.txt', 'build', 'build/keep', 'build/keep/app', 'empty', 'hard', 'link', 'é']);
  assert.deepEqual(await paths(d, { excludePatterns: ['**/b', '*.txt', 'empty'] }),
    ['Z', 'a', 'build', 'build/keep', 'build/keep/app', 'build/tmp', 'build/tmp/junk', 'hard', 'link', 'é']);
  assert.deepEqual(await paths(d, { includePatterns: ['build/keep'] }), ['build', 'build/keep', 'build/keep/app']);
  assert.deepEqual(await paths(d, { includePatterns: ['**/app'] }), ['build', 'build/keep', 'build/keep/app']);
});

test('follow paths resolve symlinks into include patterns; hardlinks point at the first file sent', async () => {
  const d = sample();
  assert.deepEqual(await paths(d, { followPaths: ['link'] }), ['a', 'a/b', 'link']);
  const items = await walkTree(new DiskTree(d));
  const hard = items.find((i) => i.stat.path === 'hard')!;
  assert.equal(hard.stat.linkname, 'a.txt');
  assert.equal(items.find((i) => i.stat.path === 'a.txt')!.stat.linkname, '');
  const onlyHard = await walkTree(new DiskTree(d), { excludePatterns: ['a.txt'] });
  assert.equal(onlyHard.find((i) => i.stat.path === 'hard')!.stat.linkname, '', 'the first file of the inode left out: the link becomes the file');
  const link = items.find((i) => i.stat.path === 'link')!;
  assert.equal(link.stat.linkname, 'a/b');
  assert.equal(link.stat.mode & GO_MODE.symlink, GO_MODE.symlink);
});

test('virtual trees and overlays serve in-memory text', async () => {
  const v = new VirtualTree(new Map([['Dockerfile', { data: Buffer.from('FROM x\n'), mode: 0o644, modTime: 42n }]]));
  const items = await walkTree(v, { followPaths: ['Dockerfile', 'Dockerfile.dockerignore'] });
  assert.deepEqual(items.map((i) => [i.stat.path, i.stat.size, i.stat.modTime]), [['Dockerfile', 7n, 42n]]);
  const d = sample();
  const t = new DiskTree(d, new Map([['a/new', { data: Buffer.from('n'), mode: 0o600, modTime: 1n }], ['Z', { data: Buffer.from('zz'), mode: 0o644, modTime: 2n }]]));
  const got = await walkTree(t, { includePatterns: ['a', 'Z'] });
  assert.deepEqual(got.map((i) => [i.stat.path, Number(i.stat.size)]), [['Z', 2], ['a', 0], ['a/b', 1], ['a/new', 1]]);
});
