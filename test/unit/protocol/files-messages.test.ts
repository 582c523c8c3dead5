import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebviewMessage } from '../../../src/view/protocol';

const valid = {
  type: 'files/list', requestId: 7, stageIndex: 1, layer: 3, view: 'layer', dir: '/usr/local', sort: 'size', descending: true, offset: 200, limit: 200,
} as const;

test('accepts a well-formed files/list request, with and without a change filter', () => {
  assert.deepEqual(parseWebviewMessage({ ...valid }), { ...valid });
  assert.deepEqual(parseWebviewMessage({ ...valid, dir: '/', view: 'merged', sort: 'name', descending: false, offset: 0, limit: 1000 }),
    { ...valid, dir: '/', view: 'merged', sort: 'name', descending: false, offset: 0, limit: 1000 });
  assert.deepEqual(parseWebviewMessage({ ...valid, changes: ['added', 'removed'] }), { ...valid, changes: ['added', 'removed'] });
  // Image file names may hold spaces, unicode and other odd bytes; only NUL and path tricks are refused.
  assert.equal((parseWebviewMessage({ ...valid, dir: '/opt/my app/ü\u0001x' }) as { dir: string } | null)?.dir, '/opt/my app/ü\u0001x');
});

test('accepts files/open for a stage index', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'files/open', stageIndex: 0 }), { type: 'files/open', stageIndex: 0 });
  for (const stageIndex of [-1, 1.5, '0', 10_000, null, NaN]) {
    assert.equal(parseWebviewMessage({ type: 'files/open', stageIndex }), null, String(stageIndex));
  }
  assert.equal(parseWebviewMessage({ type: 'files/open', stageIndex: 0, layer: 1 }), null, 'extra key');
  assert.equal(parseWebviewMessage({ type: 'files/open' }), null, 'missing stage');
});

test('rejects files/list with a missing, mistyped or extra field', () => {
  for (const key of Object.keys(valid).filter((k) => k !== 'type')) {
    const m: Record<string, unknown> = { ...valid };
    delete m[key];
    assert.equal(parseWebviewMessage(m), null, `missing ${key}`);
  }
  const wrong: Record<string, unknown[]> = {
    requestId: ['7', 1.5, -1, 2 ** 31, null],
    stageIndex: ['1', -1, 10_000, 0.5],
    layer: ['3', -1, 10_000, Infinity],
    view: ['tree', 'LAYER', 1, null],
    dir: ['usr', '', 'relative/path', '/usr/../etc', '/usr/./x', '/usr//lib', '/usr/', '/a\0b', 42, ['/'], `/${'a'.repeat(5000)}`],
    sort: ['date', 'SIZE', true],
    descending: ['true', 1, null],
    offset: [-1, 0.5, '0', 10_000_001, NaN],
    limit: [0, 1001, -5, 2.5, '200'],
    changes: [[], 'added', ['added', 'added'], ['created'], [1], ['added', 'modified', 'removed', 'unchanged', 'added'], {}, null],
  };
  for (const [key, values] of Object.entries(wrong)) {
    for (const v of values) assert.equal(parseWebviewMessage({ ...valid, [key]: v }), null, `${key}=${JSON.stringify(v)}`);
  }
  assert.equal(parseWebviewMessage({ ...valid, extra: 1 }), null, 'extra key');
  assert.equal(parseWebviewMessage({ ...valid, nameContains: 'x' }), null, 'a query field this protocol does not offer');
});

test('never throws on hostile shapes and ignores inherited fields', () => {
  const inherited = Object.create({ ...valid }) as object;
  assert.equal(parseWebviewMessage(inherited), null);
  const getterBomb = { ...valid };
  Object.defineProperty(getterBomb, 'changes', { enumerable: true, get() { throw new Error('boom'); } });
  assert.doesNotThrow(() => parseWebviewMessage(getterBomb));
  const proxy = new Proxy({ ...valid }, { get() { throw new Error('trap'); } });
  assert.doesNotThrow(() => parseWebviewMessage(proxy));
  assert.equal(parseWebviewMessage(getterBomb), null);
  assert.equal(parseWebviewMessage(proxy), null);
});
