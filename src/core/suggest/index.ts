export { analyzeDockerfile, type AnalyzeOptions } from './analyze';
export { RULES, type ContextInfo, type Finding, type Fix, type RuleId, type RuleInfo, type Severity, type TextEdit } from './types';
export { slimFor, parseImageRef, officialName, type SlimSuggestion } from '../knowledge/images';
export { rewriteBasesOf, type RewriteFinding } from './savings';
