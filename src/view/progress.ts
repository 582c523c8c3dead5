// Folds analyzer events into the progress view the panel shows (steps, cached, durations).
import type { ProgressStep, ProgressView } from './protocol';

/** What the analyzer reports while it runs (the host's adapter maps the engine's events to these). */
export type AnalyzerEvent =
  | { type: 'stage'; stageIndex: number; label: string; position: number; total: number }
  | { type: 'step'; id: string; name: string; cached: boolean; started: boolean; completed: boolean; durationMs: number | null; error: string | null }
  | { type: 'log'; text: string };

const MAX_STEPS = 400;

export function initialProgress(title: string): ProgressView {
  return { running: true, title, stageIndex: null, steps: [] };
}

/** Returns a new view; `elapsedMs` is time since the analysis started. */
export function reduceProgress(view: ProgressView, e: AnalyzerEvent, elapsedMs: number): ProgressView {
  switch (e.type) {
    case 'log':
      return view;
    case 'stage':
      return { ...view, title: `Building ${e.label} (${e.position}/${e.total})`, stageIndex: e.stageIndex };
    case 'step': {
      const steps = view.steps.slice();
      const i = steps.findIndex((s) => s.id === e.id);
      const prev: ProgressStep | undefined = i >= 0 ? steps[i] : undefined;
      const startedMs = prev?.startedMs ?? (e.started || e.completed ? elapsedMs : null);
      const next: ProgressStep = {
        id: e.id,
        name: e.name || prev?.name || e.id,
        cached: e.cached || (prev?.cached ?? false),
        startedMs,
        durationMs: e.durationMs ?? (e.completed && startedMs !== null ? elapsedMs - startedMs : prev?.durationMs ?? null),
        done: e.completed || (prev?.done ?? false),
        error: e.error ?? prev?.error ?? null,
      };
      if (i >= 0) steps[i] = next; else steps.push(next);
      return { ...view, steps: steps.length > MAX_STEPS ? steps.slice(-MAX_STEPS) : steps };
    }
  }
}

/** The one-line message for the progress notification. */
export function currentStepText(view: ProgressView): string {
  const active = [...view.steps].reverse().find((s) => !s.done && s.startedMs !== null);
  return active ? `${view.title}: ${active.name}` : view.title;
}
