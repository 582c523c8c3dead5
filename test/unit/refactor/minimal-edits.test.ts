import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits, minimalLineEdits, refactorToMultiStage } from '../../../src/core/refactor';
import { rng } from '../../harness/prng';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

test('hunks reproduce the rewrite exactly and leave unchanged lines alone', () => {
  const before = readFileSync(join(__dirname, '../../../examples/Dockerfile.single-stage'), 'utf8');
  const after = refactorToMultiStage(before).text;
  const edits = minimalLineEdits(before, after);
  assert.equal(applyEdits(before, edits), after);
  assert.ok(edits.length > 1, 'a multi-stage split is several hunks, not one whole-document replacement');
  // The leading comment is unchanged by the split, so no edit starts on line 0.
  assert.ok(edits.every((e) => e.range.start.line > 0));
});

test('random line edits round-trip, with CRLF, a BOM and a missing final newline', () => {
  const r = rng(42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const vocab = ['FROM a', 'RUN x', 'COPY . .', '', '# c', 'ENV A=1', 'RUN y \\', '  z'];
  for (let k = 0; k < 400; k++) {
    const eol = pick(['\n', '\r\n']);
    const mk = (): string => {
      const n = Math.floor(r() * 12);
      let t = Array.from({ length: n }, () => pick(vocab)).join(eol);
      if (r() < 0.7 && n) t += eol;
      return t;
    };
    const before = (r() < 0.1 ? '\ufeff' : '') + mk();
    const after = mk();
    const expected = before.startsWith('\ufeff') ? '\ufeff' + after : after;
    assert.equal(applyEdits(before, minimalLineEdits(before, after)), expected, JSON.stringify({ before, after }));
  }
  assert.deepEqual(minimalLineEdits('FROM a\n', 'FROM a\n'), []);
});
