// The command table's ids (the contract the manifest and the e2e tests use).
export const COMMANDS = {
  analyze: 'stageLens.stages.analyze',
  buildStage: 'stageLens.stage.build',
  openPanel: 'stageLens.panel.open',
  focusView: 'stageLens.view.focus',
  applySuggestion: 'stageLens.suggestion.apply',
  refactor: 'stageLens.refactor.multiStage',
  applyAndMeasure: 'stageLens.refactor.applyAndMeasure',
  cancel: 'stageLens.analysis.cancel',
  cleanUp: 'stageLens.images.cleanUp',
  selectEndpoint: 'stageLens.endpoint.select',
  revealLayer: 'stageLens.layer.reveal',
  compareHead: 'stageLens.compare.head',
  // Compose projects (src/vscode/compose.ts registers these).
  composeAnalyze: 'stageLens.compose.analyze',
  composeAnalyzeService: 'stageLens.compose.analyzeService',
  composeOpenDockerfile: 'stageLens.compose.openDockerfile',
  composeShowComparison: 'stageLens.compose.showComparison',
  composeUnbind: 'stageLens.compose.unbindDockerfile',
} as const;

export const PANEL_VIEW_TYPE = 'stageLens.panel';
export const TREE_VIEW_ID = 'stageLens.stages';
