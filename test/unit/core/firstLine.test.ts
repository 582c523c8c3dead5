// The one first-line truncation the editor, tree and panel share (issue 14: four copies before).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstLineOf } from '../../../src/core/firstLine';

test('takes the first non-blank line, trimmed', () => {
  assert.equal(firstLineOf('\n  \n  RUN make\nsecond', 80), 'RUN make');
  assert.equal(firstLineOf('one\r\ntwo', 80), 'one');
  assert.equal(firstLineOf('', 80), '');
});

test('cuts to the width with an ellipsis, and leaves short lines alone', () => {
  const long = 'x'.repeat(100);
  const cut = firstLineOf(long, 80);
  assert.equal(cut.length, 80);
  assert.ok(cut.endsWith('…'));
  assert.equal(firstLineOf('x'.repeat(80), 80), 'x'.repeat(80));
});

test('skips stack frames only when asked', () => {
  const err = '    at Object.<anonymous> (/x.js:1:1)\nError: boom';
  assert.equal(firstLineOf(err, 300, { skipStackFrames: true }), 'Error: boom');
  assert.equal(firstLineOf('at 10:00 run the job', 300), 'at 10:00 run the job');
});
