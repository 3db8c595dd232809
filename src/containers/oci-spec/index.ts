// The public face of OCI spec generation: build a runtime config.json from Docker's container
// configuration. Everything else in this folder is an implementation detail of buildSpec.
export { buildSpec, specToJson, IN_CONTAINER_INIT_PATH, type BuiltSpec } from './build-spec.js';
export { detectHostFacts } from './host-facts.js';
export { readDaemonRlimits, parseProcLimits } from './rlimits.js';
export { resolveUser } from './user.js';
export { defaultCapabilities, allCapabilities } from './capabilities.js';
export type * from './types.js';
