// Compare and gate (issue 12): what a change to a Dockerfile cost, per stage and per line, and
// the size budgets `stagelens check` enforces. Pure logic; hosts build both sides and call these.
export { matchStages, matchInstructions, normalizedInstruction, type StagePair, type InstructionPair, type LineStatus } from './match';
export { diffAnalyses, notableLines, DIFF_SCHEMA_VERSION, type DiffReport, type StageDelta, type LineDelta, type StageSide, type LineSide, type DiffSide } from './report';
export { diffFiles, finalFiles, type FilesDiff, type FileDelta, type FileGroup } from './files';
export { formatDiffText, formatDiffMarkdown, formatDelta, formatPercent, stageDeltaLabel } from './format';
export { parseBudgets, evaluateBudgets, unknownStages, BudgetConfigError, type BudgetConfig, type BudgetResult } from './budget';
