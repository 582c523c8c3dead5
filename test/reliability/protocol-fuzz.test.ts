// The host trusts nothing the webview posts. Fuzz the validator with random and hostile
// messages: it never throws, rejects every shape that is not exactly a known message, and what
// it accepts always satisfies the protocol's ranges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PANEL_ACTIONS, parseWebviewMessage, type WebviewMessage } from '../../src/view/protocol';
import { rng } from './corpus';
import { recordFigures, recordSecurity } from './figures';

const N = Number(process.env.STAGELENS_PROTOCOL_FUZZ_N ?? 20_000);

function randomValue(r: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  switch (Math.floor(r() * (depth > 2 ? 9 : 12))) {
    case 0: return null;
    case 1: return undefined;
    case 2: return pick([true, false]);
    case 3: return pick([0, 1, -1, 1.5, 2 ** 31, 2 ** 53, -0, NaN, Infinity, -Infinity, 1_000_000, 1_000_001, 9_999, 10_000]);
    case 4: return Math.floor(r() * 2000) - 100;
    case 5: return pick(['', 'ready', 'revealLine', 'action', 'focusStage', 'analyze', 'cancel', '__proto__', 'constructor', '<img src=x onerror=alert(1)>', '../../etc/passwd', '1', 'x'.repeat(10_000)]);
    case 6: return pick(PANEL_ACTIONS) + pick(['', ' ', 'X', '\0']);
    case 7: return BigInt(Math.floor(r() * 100));
    case 8: return Symbol('s');
    case 9: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 5); i > 0; i--) o[pick(['type', 'line', 'endLine', 'action', 'stageIndex', 'extra', 'uri', 'path'])] = randomValue(r, depth + 1);
      return o;
    }
  }
}

/** Messages shaped like real ones, then broken in one way. */
function nearMiss(r: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const base: Record<string, unknown> = pick<Record<string, unknown>>([
    { type: 'ready' },
    { type: 'revealLine', line: 1 + Math.floor(r() * 50), endLine: 1 + Math.floor(r() * 60) },
    { type: 'action', action: pick(PANEL_ACTIONS) },
    { type: 'focusStage', stageIndex: Math.floor(r() * 20) },
  ]);
  const keys = Object.keys(base);
  const k = pick(keys);
  switch (Math.floor(r() * 6)) {
    case 0: base[k] = randomValue(r); break;
    case 1: base[pick(['extra', 'uri', 'command', '__proto__', 'constructor'])] = randomValue(r); break;
    case 2: delete base[k]; break;
    case 3: return JSON.parse(JSON.stringify(base).replace('"type"', '"__proto__":{"polluted":1},"type"')) as unknown;
    case 4: return Object.assign(Object.create(null), base) as unknown;
    default: break; // unchanged: must be accepted if valid
  }
  return base;
}

function validAccepted(m: WebviewMessage): string | null {
  const keys = Object.keys(m).sort().join(',');
  switch (m.type) {
    case 'ready': return keys === 'type' ? null : `ready with keys ${keys}`;
    case 'revealLine':
      return Number.isInteger(m.line) && Number.isInteger(m.endLine) && m.line >= 1 && m.endLine >= m.line && m.endLine <= 1_000_000 ? null : `bad lines ${m.line}-${m.endLine}`;
    case 'action': return (PANEL_ACTIONS as readonly string[]).includes(m.action) ? null : `bad action ${String(m.action)}`;
    case 'focusStage': return Number.isInteger(m.stageIndex) && m.stageIndex >= 0 ? null : `bad stage ${m.stageIndex}`;
    default: return `unknown type ${(m as { type: unknown }).type as string}`;
  }
}

describe('security: webview message validation', () => {
  it(`rejects hostile messages and never throws (${N} random + near-miss messages)`, () => {
    const r = rng(77);
    let accepted = 0;
    let rejected = 0;
    const failures: string[] = [];
    for (let i = 0; i < N; i++) {
      const msg = i % 2 ? randomValue(r) : nearMiss(r);
      let out: WebviewMessage | null;
      try { out = parseWebviewMessage(msg); } catch (e) { failures.push(`threw on message #${i}: ${(e as Error).message}`); continue; }
      if (out === null) { rejected++; continue; }
      accepted++;
      const bad = validAccepted(out);
      if (bad) failures.push(`accepted #${i}: ${bad}`);
      if (({} as Record<string, unknown>).polluted !== undefined) failures.push(`prototype polluted by #${i}`);
    }
    recordFigures('protocol-fuzz', { securityChecks: 1, securityFailures: failures.length ? 1 : 0, notes: { webviewMessagesFuzzed: N, webviewMessagesRejected: rejected } });
    process.stdout.write(`# webview validator: ${N} messages, accepted ${accepted}, rejected ${rejected}, failures ${failures.length}\n`);
    assert.deepEqual(failures.slice(0, 20), []);
    assert.ok(accepted > 100 && rejected > 100, 'the fuzz reaches both outcomes');
  });

  it('rejects each hostile shape explicitly', () => {
    const hostile: unknown[] = [
      null, undefined, 0, 'ready', [], [{ type: 'ready' }],
      { type: 'ready', extra: 1 },
      { type: 'revealLine', line: 0, endLine: 1 },
      { type: 'revealLine', line: -5, endLine: 1 },
      { type: 'revealLine', line: 1.5, endLine: 2 },
      { type: 'revealLine', line: '3', endLine: 3 },
      { type: 'revealLine', line: 5, endLine: 4 },
      { type: 'revealLine', line: 1, endLine: 2 ** 53 },
      { type: 'revealLine', line: NaN, endLine: NaN },
      { type: 'revealLine', line: 3, endLine: 3, uri: 'file:///etc/passwd' },
      { type: 'revealLine', line: 3, endLine: 3, path: '../../etc/passwd' },
      { type: 'action', action: 'rm -rf /' },
      { type: 'action', action: 'constructor' },
      { type: 'action', action: ['analyze'] },
      { type: 'focusStage', stageIndex: -1 },
      { type: 'focusStage', stageIndex: 1e9 },
      { type: 'focusStage', stageIndex: '0' },
      { type: 'executeCommand', command: 'workbench.action.terminal.new' },
      JSON.parse('{"__proto__":{"type":"ready"}}'),
      Object.assign(Object.create({ type: 'ready' }), {}),
    ];
    const accepted = hostile.filter((m) => parseWebviewMessage(m) !== null).map((m) => JSON.stringify(m) ?? String(m));
    recordSecurity('webview-hostile-shapes', accepted.length === 0);
    assert.deepEqual(accepted, []);
  });
});
