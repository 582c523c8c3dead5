import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPanelState, parseWebviewMessage } from '../../../src/view/protocol';

test('accepts each well-formed webview message', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'revealLine', line: 3, endLine: 5 }), { type: 'revealLine', line: 3, endLine: 5 });
  assert.deepEqual(parseWebviewMessage({ type: 'revealLine', line: 7 }), { type: 'revealLine', line: 7, endLine: 7 });
  assert.deepEqual(parseWebviewMessage({ type: 'action', action: 'applyAndMeasure' }), { type: 'action', action: 'applyAndMeasure' });
  assert.deepEqual(parseWebviewMessage({ type: 'focusStage', stageIndex: 2 }), { type: 'focusStage', stageIndex: 2 });
});

test('rejects unknown types, non-objects and arrays', () => {
  for (const bad of [null, undefined, 42, 'ready', [], [{ type: 'ready' }], {}, { type: 'exec', command: 'rm' }, { type: 'READY' }]) {
    assert.equal(parseWebviewMessage(bad), null, JSON.stringify(bad));
  }
});

test('rejects bad line numbers', () => {
  for (const line of [0, -1, 1.5, '3', NaN, Infinity, 2_000_000, null]) {
    assert.equal(parseWebviewMessage({ type: 'revealLine', line, endLine: 4 }), null, String(line));
  }
  assert.equal(parseWebviewMessage({ type: 'revealLine', line: 5, endLine: 4 }), null, 'end before start');
  assert.equal(parseWebviewMessage({ type: 'revealLine', line: 5, endLine: '6' }), null);
});

test('rejects actions that are not in the allowed list, including command ids', () => {
  assert.equal(parseWebviewMessage({ type: 'action', action: 'workbench.action.terminal.new' }), null);
  assert.equal(parseWebviewMessage({ type: 'action', action: 'stageLens.stages.analyze' }), null);
  assert.equal(parseWebviewMessage({ type: 'action', action: ['analyze'] }), null);
  assert.equal(parseWebviewMessage({ type: 'action' }), null);
});

test('rejects extra properties so nothing unvalidated rides along', () => {
  assert.equal(parseWebviewMessage({ type: 'ready', uri: 'file:///etc/passwd' }), null);
  assert.equal(parseWebviewMessage({ type: 'revealLine', line: 1, endLine: 1, uri: 'file:///x' }), null);
  assert.equal(parseWebviewMessage({ type: 'action', action: 'analyze', args: ['x'] }), null);
});

test('focusStage needs a non-negative integer', () => {
  for (const stageIndex of [-1, 0.5, '1', null, 1e9]) {
    assert.equal(parseWebviewMessage({ type: 'focusStage', stageIndex }), null, String(stageIndex));
  }
});

test('isPanelState recognises saved state and rejects junk', () => {
  assert.equal(isPanelState({ document: null, report: null, stale: false, facts: null, comparison: null, progress: null, notice: null }), true);
  assert.equal(isPanelState(undefined), false);
  assert.equal(isPanelState({ report: null }), false);
});
