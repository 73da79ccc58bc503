// Entry of a PSI worker thread. On Node 20 a worker does not inherit the TypeScript loader that tsx
// registered in the parent (through --import or vitest), so register it here, then load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./psi-worker.ts');
