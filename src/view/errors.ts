// Turns whatever the engine layer throws into one or two plain sentences with the fix,
// never a stack trace (issue 4, DESIGN.md CLI error rules apply to the editor too).
import { firstLineOf } from '../core/firstLine';

export interface ExplainedError {
  message: string;
  fix: string;
  kind: 'unreachable' | 'permission' | 'cancelled' | 'frontend' | 'build' | 'other';
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE']);

export function explainError(err: unknown, endpoint: string): ExplainedError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; code?: unknown; message?: unknown; fix?: unknown; kind?: unknown };
  const raw = typeof e.message === 'string' ? e.message : String(err);
  const msg = firstLineOf(raw, 300, { skipStackFrames: true });
  const where = endpoint || 'the default endpoint (DOCKER_HOST, the current Docker context, or the default socket)';
  if (e.name === 'AbortError' || /aborted|cancell?ed/i.test(msg) && e.code !== 'ECONNREFUSED') {
    return { kind: 'cancelled', message: 'Analysis cancelled.', fix: '' };
  }
  if (typeof e.fix === 'string' && e.fix) return { kind: 'other', message: msg, fix: e.fix };
  // The engine module's own errors already name the endpoint and the fix.
  if (e.name === 'EngineUnreachableError') return { kind: 'unreachable', message: msg, fix: '' };
  if (e.name === 'EndpointConfigError' || e.name === 'AnalysisInputError') return { kind: 'other', message: msg, fix: '' };
  const code = typeof e.code === 'string' ? e.code : '';
  if (code === 'EACCES' || /permission denied/i.test(msg) && /sock/i.test(msg)) {
    return { kind: 'permission', message: `Permission denied on the Docker socket at ${where}.`, fix: 'Add your user to the docker group, or set stageLens.engine.endpoint to an engine you can use.' };
  }
  if (UNREACHABLE_CODES.has(code) || /connect (ECONNREFUSED|ENOENT)|cannot connect|unreachable|socket hang up/i.test(msg)) {
    return { kind: 'unreachable', message: `Cannot reach the Docker engine at ${where}.`, fix: 'Start Docker or set stageLens.engine.endpoint.' };
  }
  if (/dockerfile frontend|docker\/dockerfile|syntax=/i.test(msg)) {
    return { kind: 'frontend', message: msg, fix: 'The `# syntax=` line makes BuildKit pull a frontend image; remove it or make the image available offline.' };
  }
  return { kind: 'other', message: msg || 'The analysis failed.', fix: '' };
}
