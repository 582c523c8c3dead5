import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerContentsReport } from '../../../src/core/layers/types';
import type { FileRow, WastedRow } from '../../../src/view/protocol';
import {
  EMPTY_WINDOW, breadcrumb, browsableLayers, efficiencyText, fileRowTexts, mergePage, nextOffset, parentDir, previousPage,
  stageContentsView, wastedLines, windowText, type RowWindow,
} from '../../../src/view/files';
import { LayerContentsCache, type ContentsAnalysis } from '../../../src/vscode/layerContents';

function row(i: number, p: Partial<FileRow> = {}): FileRow {
  return { name: `f${i}`, path: `/d/f${i}`, type: 'file', sizeBytes: i, mode: '-rw-r--r--', change: 'added', hasChildren: false, writtenBy: 1, line: 4, ...p };
}
const rows = (from: number, n: number): FileRow[] => Array.from({ length: n }, (_, k) => row(from + k));

test('breadcrumb: one crumb per directory, each opening its own path', () => {
  assert.deepEqual(breadcrumb('/'), [{ label: '/', path: '/' }]);
  assert.deepEqual(breadcrumb('/usr/local/bin'), [
    { label: '/', path: '/' }, { label: 'usr', path: '/usr' }, { label: 'local', path: '/usr/local' }, { label: 'bin', path: '/usr/local/bin' },
  ]);
  assert.deepEqual(breadcrumb('/my dir/ü').map((c) => c.path), ['/', '/my dir', '/my dir/ü']);
  assert.equal(parentDir('/usr/local'), '/usr');
  assert.equal(parentDir('/usr'), '/');
  assert.equal(parentDir('/'), '/');
});

test('mergePage: pages append, the window never holds more than the cap, and earlier pages prepend', () => {
  let w: RowWindow = mergePage(EMPTY_WINDOW, { offset: 0, total: 2500, entries: rows(0, 400) }, 1000);
  assert.deepEqual([w.offset, w.rows.length, nextOffset(w)], [0, 400, 400]);
  assert.equal(previousPage(w), null);
  w = mergePage(w, { offset: 400, total: 2500, entries: rows(400, 400) }, 1000);
  w = mergePage(w, { offset: 800, total: 2500, entries: rows(800, 400) }, 1000);
  // 1200 loaded, 1000 kept: the oldest 200 rows were dropped.
  assert.deepEqual([w.offset, w.rows.length, w.rows[0]!.name, w.rows.at(-1)!.name, nextOffset(w)], [200, 1000, 'f200', 'f1199', 1200]);
  assert.equal(windowText(w), '201–1200 of 2500');
  const prev = previousPage(w, 200)!;
  assert.deepEqual(prev, { offset: 0, limit: 200 });
  w = mergePage(w, { offset: prev.offset, total: 2500, entries: rows(0, 200) }, 1000);
  assert.deepEqual([w.offset, w.rows.length, w.rows[0]!.name, w.rows.at(-1)!.name], [0, 1000, 'f0', 'f999']);
  // The last page: no next offset.
  const end = mergePage(EMPTY_WINDOW, { offset: 2400, total: 2500, entries: rows(2400, 100) });
  assert.equal(nextOffset(end), null);
  assert.deepEqual(previousPage(end, 200), { offset: 2200, limit: 200 });
  // A page that does not touch the window replaces it.
  const jump = mergePage(w, { offset: 1800, total: 2500, entries: rows(1800, 10) });
  assert.deepEqual([jump.offset, jump.rows.length], [1800, 10]);
  assert.equal(windowText(EMPTY_WINDOW), 'No entries');
});

test('fileRowTexts: directory slash, link target, size, change and the writing line', () => {
  const f = fileRowTexts(row(1, { name: 'app.py', sizeBytes: 20_000_000, change: 'modified', line: 7 }));
  assert.deepEqual([f.name, f.size, f.change, f.line], ['app.py', '20 MB', 'modified', 'line 7']);
  assert.match(f.label, /app\.py, 20 MB, modified, written by line 7/);
  assert.equal(fileRowTexts(row(1, { name: 'lib', type: 'dir', change: 'unchanged', line: null, writtenBy: 0 })).name, 'lib/');
  const base = fileRowTexts(row(1, { change: 'unchanged', line: null, writtenBy: 0 }));
  assert.deepEqual([base.change, base.line], ['', 'layer 1']);
  assert.equal(fileRowTexts(row(1, { name: 'sh', type: 'symlink', link: '/bin/busybox' })).name, 'sh → /bin/busybox');
});

test('wastedLines names the writing and removing lines, and lists each revealable line once', () => {
  const w: WastedRow = {
    path: '/big', cumulativeBytes: 40_000_000, reclaimableBytes: 40_000_000,
    writes: [{ layer: 1, sizeBytes: 20_000_000, line: 3 }, { layer: 2, sizeBytes: 20_000_000, line: 5 }],
    removedBy: { layer: 3, how: 'removed', line: 7 },
  };
  assert.deepEqual(wastedLines(w), { text: 'written by lines 3 and 5, removed by line 7', lines: [3, 5, 7] });
  const over: WastedRow = { ...w, writes: [{ layer: 0, sizeBytes: 5, line: null }, { layer: 2, sizeBytes: 3, line: 5 }], removedBy: { layer: 2, how: 'overwritten', line: 5 } };
  assert.deepEqual(wastedLines(over), { text: 'written by line 5 and the base image, overwritten by line 5', lines: [5] });
  const unlinked: WastedRow = { ...w, writes: [{ layer: 0, sizeBytes: 5, line: null }], removedBy: { layer: 1, how: 'removed', line: null } };
  assert.deepEqual(wastedLines(unlinked), { text: 'written by the base image, removed by layer 2', lines: [] });
  assert.equal(efficiencyText(0.9234), '92.3%');
  assert.equal(efficiencyText(Number.NaN), '—');
});

test('stageContentsView keeps totals, layers and wasted paths, and trims long instructions', () => {
  const files = { added: 2, addedBytes: 10, modified: 0, modifiedBytes: 0, removed: 0, removedBytes: 0 };
  const r = {
    efficiency: 0.5, wastedBytes: 40, reclaimableBytes: 20, fileCount: 3,
    layers: [
      { index: 0, sizeBytes: 100, line: null, endLine: null, instruction: null, createdBy: '/bin/sh -c #(nop) ADD file:abc in /', files },
      { index: 1, sizeBytes: 0, line: 4, endLine: 4, instruction: 'ENV A=1', createdBy: 'ENV', files: { ...files, added: 0 } },
      { index: 2, sizeBytes: 20, line: 5, endLine: 6, instruction: `RUN ${'x'.repeat(300)}\n  && y`, createdBy: 'RUN', files },
    ],
    topWasted: [{ path: '/big', cumulativeBytes: 40, finalBytes: 20, reclaimableBytes: 20,
      writes: [{ layer: 0, sizeBytes: 20, line: null, instruction: null }, { layer: 2, sizeBytes: 20, line: 5, instruction: 'RUN' }], removedBy: null }],
  } as unknown as LayerContentsReport;
  const v = stageContentsView(r, 'sha256:img');
  assert.deepEqual([v.imageId, v.efficiency, v.wastedBytes, v.reclaimableBytes, v.fileCount], ['sha256:img', 0.5, 40, 20, 3]);
  assert.equal(v.layers[0]!.text, '/bin/sh -c #(nop) ADD file:abc in /');
  assert.equal(v.layers[2]!.text.length, 200);
  assert.ok(!v.layers[2]!.text.includes('\n'));
  assert.deepEqual(v.topWasted[0]!.writes.map((x) => x.line), [null, 5]);
  // The metadata-only ENV layer has nothing to browse.
  assert.deepEqual(browsableLayers(v.layers).map((l) => l.index), [0, 2]);
});

test('LayerContentsCache: one analysis per image, least recently used evicted and aborted, failures retried', async () => {
  const calls: string[] = [];
  const signals = new Map<string, AbortSignal>();
  let fail = true;
  const cache = new LayerContentsCache(async (imageId, _report, _endpoint, signal) => {
    calls.push(imageId);
    signals.set(imageId, signal);
    await new Promise((r) => setTimeout(r, 5));
    if (imageId === 'bad' && fail) throw new Error('engine unreachable');
    return { report: { imageId }, index: { list: () => ({}) } } as unknown as ContentsAnalysis;
  }, 2);
  const [a1, a2] = await Promise.all([cache.get('a', null, ''), cache.get('a', null, '')]);
  assert.equal(a1, a2);
  assert.deepEqual(calls, ['a']);
  await cache.get('b', null, '');
  await cache.get('a', null, ''); // a is now the most recently used
  await cache.get('c', null, ''); // evicts b
  assert.deepEqual([cache.has('a', ''), cache.has('b', ''), cache.has('c', '')], [true, false, true]);
  assert.equal(signals.get('b')!.aborted, true, 'the evicted analysis is aborted');
  assert.equal(signals.get('a')!.aborted, false);
  await assert.rejects(cache.get('bad', null, ''), /engine unreachable/);
  assert.equal(cache.has('bad', ''), false, 'a failure is not cached');
  fail = false;
  await cache.get('bad', null, '');
  assert.deepEqual(calls.filter((c) => c === 'bad').length, 2);
  // A caller's own abort stops its wait without cancelling the shared work.
  const ctrl = new AbortController();
  const waiting = cache.get('d', null, '', ctrl.signal);
  ctrl.abort(new Error('caller gave up'));
  await assert.rejects(waiting, /caller gave up/);
  assert.equal(signals.get('d')!.aborted, false);
  assert.equal((await cache.get('d', null, '')).report.imageId, 'd');
  // Another endpoint is another image.
  await cache.get('d', null, 'tcp://other:2375');
  assert.equal(calls.filter((c) => c === 'd').length, 2);
  cache.clear();
  assert.equal(cache.size, 0);
});

test('a change filter keeps the directories that lead to matching entries (keepDirs)', async () => {
  const { analyzeExport } = await import('../../../src/core/layers/analyze');
  const { chunked, dockerSave } = await import('../layers/synth');
  const l0 = [{ name: 'usr/', type: 'directory' as const }, { name: 'usr/lib/', type: 'directory' as const }, { name: 'usr/lib/old', size: 10 }, { name: 'etc/', type: 'directory' as const }, { name: 'etc/conf', size: 3 }];
  const l1 = [{ name: 'usr/lib/new', size: 7 }, { name: 'usr/lib/.wh.old' }, { name: 'top', size: 1 }];
  const { index } = await analyzeExport(chunked(await dockerSave({ layers: [l0, l1] })), { image: 'x' });
  const names = (q: Parameters<typeof index.list>[0]): string[] => index.list(q).entries.map((e) => `${e.name}:${e.change}`);
  // Without keepDirs the filter hides /usr, although the added file is below it.
  assert.deepEqual(names({ layer: 1, view: 'layer', dir: '/', changes: ['added'], sort: 'name' }), ['top:added']);
  assert.deepEqual(names({ layer: 1, view: 'layer', dir: '/', changes: ['added'], keepDirs: true, sort: 'name' }), ['top:added', 'usr:modified']);
  assert.deepEqual(names({ layer: 1, view: 'merged', dir: '/usr/lib', changes: ['added'], keepDirs: true, sort: 'name' }), ['new:added']);
  assert.deepEqual(names({ layer: 1, view: 'merged', dir: '/usr/lib', changes: ['removed'], keepDirs: true, sort: 'name' }), ['old:removed']);
  // Unchanged directories (/etc) stay hidden in the merged view when filtering.
  assert.deepEqual(names({ layer: 1, view: 'merged', dir: '/', changes: ['added'], keepDirs: true, sort: 'name' }), ['top:added', 'usr:modified']);
});
