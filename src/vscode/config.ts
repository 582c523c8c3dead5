// The one place settings are read (DESIGN.md convention 6): typed, defaulted, validated.
import * as vscode from 'vscode';

export type BuilderSetting = 'auto' | 'buildkit' | 'classic';
export type NetworkSetting = 'default' | 'none' | 'host';
export type StaleBehavior = 'mark' | 'hide';

export interface StageLensConfig {
  endpoint: string;
  builder: BuilderSetting;
  buildArgs: Record<string, string>;
  network: NetworkSetting;
  layerThresholdBytes: number;
  staleBehavior: StaleBehavior;
  disabledRules: string[];
  suggestionsEnabled: boolean;
}

export const SECTION = 'stageLens';

function oneOf<T extends string>(v: unknown, allowed: readonly T[], fallback: T): T {
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

export function readConfig(scope?: vscode.Uri): StageLensConfig {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const rawArgs = c.get<unknown>('build.args', {});
  const buildArgs: Record<string, string> = {};
  if (rawArgs && typeof rawArgs === 'object' && !Array.isArray(rawArgs)) {
    for (const [k, v] of Object.entries(rawArgs as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') buildArgs[k] = String(v);
    }
  }
  const mb = c.get<unknown>('lenses.layerThresholdMB', 10);
  const rules = c.get<unknown>('suggestions.disabledRules', []);
  return {
    endpoint: (c.get<string>('engine.endpoint', '') ?? '').trim(),
    builder: oneOf(c.get('build.builder'), ['auto', 'buildkit', 'classic'] as const, 'auto'),
    buildArgs,
    network: oneOf(c.get('build.network'), ['default', 'none', 'host'] as const, 'default'),
    layerThresholdBytes: (typeof mb === 'number' && Number.isFinite(mb) && mb >= 0 ? mb : 10) * 1_000_000,
    staleBehavior: oneOf(c.get('lenses.staleBehavior'), ['mark', 'hide'] as const, 'mark'),
    disabledRules: Array.isArray(rules) ? rules.filter((r): r is string => typeof r === 'string') : [],
    suggestionsEnabled: c.get<boolean>('suggestions.enabled', true) !== false,
  };
}

