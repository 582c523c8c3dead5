export { refactorToMultiStage, detectEcosystem, splitPipArgs, type Ecosystem, type RefactorOptions, type RefactorResult } from './multistage';
export { addCacheMounts, addCacheCleanup, cacheNeeds } from './mounts';
export { addNonRootUser, finalUser, isRootUser } from './user';
export { applyEdits, minimalLineEdits, wholeDocument, type TextEdit } from './edits';
