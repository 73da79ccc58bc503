/**
 * What the docs' examples refer to but do not make themselves, on the shared node, and the values
 * of their shell variables and placeholders. An example that needs something new binds it here.
 */
import type { Bindings, DocNode } from '../support/doc-examples.ts';
import type { TestApp } from '../support/test-app.ts';

export type Setup = Bindings;

export async function SETUP(node: DocNode, api: TestApp): Promise<Setup> {
  const origin = 'http://127.0.0.1:8080';
  const admin = await api.keyFor('brand', ['admin']);
  const values = new Map<string, string>([
    ['NODE', origin],
    ['BRAND', origin],
    ['KEY', admin.token],
    ['accord_…', admin.token],
    ['WRITE_KEY', (await api.keyFor('brand', ['consent:write'])).token],
    ['READ_KEY', (await api.keyFor('brand', ['consent:read'])).token],
    ['COLLECTOR_KEY', (await api.keyFor('brand', ['data:write'])).token],
    ['TOKEN', (await api.keyFor('brand', ['psi:read'])).token],
    ['<brand node>', api.identity.nodeId],
  ]);
  void node;
  return {
    values,
    captures: [
      { request: /^POST \/v1\/collaborations$/, binding: 'ID', field: 'id' },
      { request: /^POST \/v1\/privacy-requests$/, binding: 'ID', field: 'id' },
      { request: /^POST \/v1\/psi\/runs$/, binding: 'RUN', field: 'id' },
      { request: /^POST \/v1\/ingest\/\w+\/files$/, binding: 'RUN', field: 'id' },
    ],
    cliCaptures: [],
  };
}
