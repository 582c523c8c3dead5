// Everything the editor needs from src/engine, behind one dynamic import: dockerode and its
// transports take most of a second to load, and activation must not pay that before the
// first lens (the engine is needed only when the user builds).
export { analyzeStages } from '../engine/analyze';
export { cleanUpImages } from '../engine/cleanup';
export { connectEngine, listEndpoints } from '../engine/connection';
export { analyzeImageLayers } from '../engine/layers';
export { compareDockerfile } from '../engine/compare';
export { localImageSizes } from '../engine/measure';
