// Entry of every worker thread whose code is TypeScript (PSI group operations, ingest sealing). On
// Node 20 a worker does not inherit the TypeScript loader tsx registered in the parent (through
// --import or vitest), so register it here, then load the module the parent named in argv.
import { register } from 'tsx/esm/api';

register();
await import(process.argv.at(-1));
