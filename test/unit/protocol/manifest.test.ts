// The manifest is the contract the e2e tests and users see: command ids, palette visibility,
// settings documentation, trust declaration. These checks read package.json as shipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, PANEL_VIEW_TYPE, TREE_VIEW_ID } from '../../../src/vscode/commandIds';

interface Manifest {
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: string | boolean; restrictedConfigurations?: string[] } };
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, { markdownDescription?: string; default?: unknown }> };
    views: Record<string, { id: string; name: string }[]>;
    viewsContainers: { activitybar: { id: string; icon: string }[] };
    languages: { id: string; filenamePatterns?: string[] }[];
  };
}

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as Manifest;
const c = pkg.contributes;

test('every command the code registers is declared, in the "Stage Lens" category, and nothing else', () => {
  const declared = c.commands.map((x) => x.command).sort();
  assert.deepEqual(declared, Object.values(COMMANDS).sort());
  for (const cmd of c.commands) assert.equal(cmd.category, 'Stage Lens', cmd.command);
  for (const id of declared) assert.match(id, /^stageLens\.[a-z]+\.[a-z][A-Za-z]+$/, `${id} follows stageLens.<noun>.<verb>`);
});

test('contract titles', () => {
  const title = (id: string): string | undefined => c.commands.find((x) => x.command === id)?.title;
  assert.equal(title(COMMANDS.analyze), 'Analyze Stages');
  assert.equal(title(COMMANDS.openPanel), 'Open Stage Panel');
  assert.equal(title(COMMANDS.applyAndMeasure), 'Refactor to Multi-Stage and Measure');
  assert.equal(title(COMMANDS.cleanUp), 'Clean Up Stage Lens Images');
  assert.equal(title(COMMANDS.refactor), 'Refactor to Multi-Stage…');
});

test('internal commands are hidden from the palette; Dockerfile commands are scoped to Dockerfiles', () => {
  const palette = c.menus.commandPalette!;
  const when = (id: string): string | undefined => palette.find((m) => m.command === id)?.when;
  assert.equal(when(COMMANDS.applySuggestion), 'never');
  assert.equal(when(COMMANDS.revealLayer), 'never');
  for (const id of [COMMANDS.analyze, COMMANDS.buildStage, COMMANDS.refactor, COMMANDS.applyAndMeasure]) {
    assert.match(when(id) ?? '', /editorLangId == dockerfile/, id);
  }
});

test('every setting has a markdownDescription and the contract ids exist', () => {
  const props = c.configuration.properties;
  for (const key of ['stageLens.engine.endpoint', 'stageLens.build.builder', 'stageLens.build.args', 'stageLens.build.network',
    'stageLens.lenses.layerThresholdMB', 'stageLens.lenses.staleBehavior', 'stageLens.suggestions.disabledRules', 'stageLens.suggestions.enabled']) {
    assert.ok(props[key], key);
  }
  for (const [key, p] of Object.entries(props)) assert.ok((p.markdownDescription ?? '').length > 20, `${key} has a markdownDescription`);
  assert.equal(props['stageLens.lenses.layerThresholdMB']!.default, 10);
  assert.equal(props['stageLens.lenses.staleBehavior']!.default, 'mark');
});

test('views, activation, languages and restricted mode', () => {
  assert.deepEqual(c.views.stageLens!.map((v) => [v.id, v.name]), [[TREE_VIEW_ID, 'Stages']]);
  assert.equal(c.viewsContainers.activitybar[0]!.icon, 'media/stagelens.svg');
  assert.ok(pkg.activationEvents.includes('onLanguage:dockerfile'));
  assert.ok(pkg.activationEvents.includes('workspaceContains:**/Dockerfile*'));
  assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${PANEL_VIEW_TYPE}`), 'the panel serializer can restore after reload');
  const df = c.languages.find((l) => l.id === 'dockerfile');
  assert.ok(df?.filenamePatterns?.includes('Dockerfile.*') && df.filenamePatterns.includes('*.Dockerfile'));
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations, ['stageLens.engine.endpoint']);
});
