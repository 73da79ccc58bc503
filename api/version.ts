import { readFileSync } from 'node:fs';

/** The package version, published in /.well-known/accord-node and the OpenAPI document. */
export const version: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
