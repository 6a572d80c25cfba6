// The one way in to `tsrun container …` and `tsrun volume …`: the CLI reaches
// src/container/image-run only through a dynamic import of this file, which
// scripts/bundle.js makes a chunk of its own (dist/bundle/container-run.js),
// so that `tsrun state` and `tsrun create` neither read nor compile it.
export {
  containerCreate,
  containerExec,
  containerInspect,
  containerKill,
  containerLogs,
  containerLs,
  containerPause,
  containerPrune,
  containerRm,
  containerRun,
  containerStart,
  containerStop,
  volumeCreate,
  volumeInspect,
  volumeLs,
  volumePrune,
  volumeRm,
} from './commands';
export { parseEnvFile, parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from './mount-specs';
