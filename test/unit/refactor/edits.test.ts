import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { applyEdits, wholeDocument } from '../../../src/core/refactor';

const at = (line: number, character: number) => ({ line, character });

test('applyEdits: any order, insertions and replacements, CRLF and BOM', () => {
  const text = 'FROM a\nRUN b\nCMD c\n';
  const out = applyEdits(text, [
    { range: { start: at(2, 0), end: at(2, 3) }, newText: 'ENTRYPOINT' },
    { range: { start: at(1, 3), end: at(1, 3) }, newText: ' --x' },
    { range: { start: at(0, 5), end: at(0, 6) }, newText: 'alpine' },
  ]);
  assert.equal(out, 'FROM alpine\nRUN --x b\nENTRYPOINT c\n');
  assert.equal(applyEdits('A\r\nB\r\n', [{ range: { start: at(1, 0), end: at(1, 1) }, newText: 'C' }]), 'A\r\nC\r\n');
  assert.equal(applyEdits('\ufeffFROM a\n', [{ range: { start: at(0, 0), end: at(0, 4) }, newText: 'from' }]), '\ufefffrom a\n');
  // A character past the end of a line stops at the line end rather than eating the break.
  assert.equal(applyEdits('ab\ncd\n', [{ range: { start: at(0, 99), end: at(0, 99) }, newText: '!' }]), 'ab!\ncd\n');
  // Two insertions at one point keep their given order.
  assert.equal(applyEdits('x', [{ range: { start: at(0, 1), end: at(0, 1) }, newText: '1' }, { range: { start: at(0, 1), end: at(0, 1) }, newText: '2' }]), 'x12');
});

test('applyEdits rejects overlapping edits', () => {
  assert.throws(() => applyEdits('abcdef', [{ range: { start: at(0, 0), end: at(0, 3) }, newText: '' }, { range: { start: at(0, 2), end: at(0, 4) }, newText: '' }]), /Overlapping/);
});

test('wholeDocument replaces everything', () => {
  for (const t of ['', 'FROM a', 'FROM a\n', 'A\r\nB\r\n']) assert.equal(applyEdits(t, [{ range: wholeDocument(t), newText: 'X' }]), 'X');
  assert.equal(applyEdits('\ufeffA\n', [{ range: wholeDocument('\ufeffA\n'), newText: 'X' }]), '\ufeffX');
});
