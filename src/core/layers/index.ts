// Public surface of the layer-content analysis (issue 5). Hosts (CLI, extension) call
// `analyzeImageLayers` in src/engine/layers.ts; the panel keeps the returned LayerIndex and asks it
// for one directory page at a time (`index.list(query)`), never the whole tree.
export { analyzeExport, historyForLayers, sourcesForLayers, type AnalyzeOptions } from './analyze';
export { LayerIndex, type TreeEntry, type TreePage, type TreeQuery } from './query';
export { evaluateCi, parseDiveCi, parseBytes, DEFAULT_RULES, type CiResult, type RuleResult } from './ci';
export { ExportFormatError, readImageExport } from './read';
export type * from './types';
