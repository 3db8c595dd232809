// Entry point of the standalone registry (the registry:2 image runs
// `node dist/src/distribution/registry/main.js serve`).
import { registryCommand } from './cli.js';

process.exitCode = await registryCommand(process.argv.slice(2));
