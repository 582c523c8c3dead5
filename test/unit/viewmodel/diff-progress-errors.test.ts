import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineDiff } from '../../../src/view/diff';
import { explainError } from '../../../src/view/errors';
import { currentStepText, initialProgress, reduceProgress } from '../../../src/view/progress';

test('line diff marks added and removed lines and keeps line numbers', () => {
  const d = lineDiff('FROM a\nRUN x\nCMD y\n', 'FROM a AS build\nRUN x\nFROM b\nCOPY --from=build /x /x\nCMD y\n');
  assert.deepEqual(d.map((l) => `${l.op}:${l.text}`), [
    'del:FROM a', 'add:FROM a AS build', 'same:RUN x', 'add:FROM b', 'add:COPY --from=build /x /x', 'same:CMD y',
  ]);
  assert.deepEqual(d.find((l) => l.text === 'CMD y'), { op: 'same', text: 'CMD y', oldLine: 3, newLine: 5 });
  // Reconstructing both sides from the diff gives back the inputs.
  assert.equal(d.filter((l) => l.op !== 'add').map((l) => l.text).join('\n'), 'FROM a\nRUN x\nCMD y');
  assert.equal(d.filter((l) => l.op !== 'del').map((l) => l.text).join('\n'), 'FROM a AS build\nRUN x\nFROM b\nCOPY --from=build /x /x\nCMD y');
});

test('identical and empty texts', () => {
  assert.ok(lineDiff('a\nb', 'a\nb').every((l) => l.op === 'same'));
  assert.deepEqual(lineDiff('', 'x').map((l) => l.op), ['add']);
  assert.deepEqual(lineDiff('x', '').map((l) => l.op), ['del']);
});

test('engine errors become a sentence with the fix, never a stack', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED /tmp/nope.sock\n    at PipeConnectWrap.afterConnect'), { code: 'ECONNREFUSED' });
  const ex = explainError(refused, 'unix:///tmp/nope.sock');
  assert.equal(ex.kind, 'unreachable');
  assert.equal(ex.message, 'Cannot reach the Docker engine at unix:///tmp/nope.sock.');
  assert.match(ex.fix, /Start Docker or set stageLens\.engine\.endpoint/);
  assert.equal(explainError(Object.assign(new Error('x'), { code: 'EACCES' }), '').kind, 'permission');
  const abort = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
  assert.equal(explainError(abort, '').kind, 'cancelled');
  const other = explainError(new Error('Error: boom\n    at foo (file.js:1:1)'), '');
  assert.equal(other.message, 'Error: boom');
  assert.ok(!other.message.includes(' at '));
});

test('progress folds step events: start, cached, completion with duration', () => {
  let p = initialProgress('Analyzing stages');
  p = reduceProgress(p, { type: 'stage', stageIndex: 0, label: 'builder', position: 1, total: 2 }, 0);
  p = reduceProgress(p, { type: 'step', id: 'v1', name: '[1/3] RUN apt-get', cached: false, started: true, completed: false, durationMs: null, error: null }, 100);
  assert.equal(currentStepText(p), 'Building builder (1/2): [1/3] RUN apt-get');
  p = reduceProgress(p, { type: 'step', id: 'v2', name: '[2/3] COPY', cached: true, started: true, completed: true, durationMs: null, error: null }, 150);
  p = reduceProgress(p, { type: 'step', id: 'v1', name: '', cached: false, started: true, completed: true, durationMs: null, error: null }, 1100);
  assert.deepEqual(p.steps.map((s) => [s.name, s.cached, s.done, s.durationMs]), [['[1/3] RUN apt-get', false, true, 1000], ['[2/3] COPY', true, true, 0]]);
  assert.equal(currentStepText(p), 'Building builder (1/2)');
});
