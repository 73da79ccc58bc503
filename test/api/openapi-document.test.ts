/**
 * The OpenAPI document as a client developer uses it: every operation named and secured as its
 * route is authenticated, its problem+json answers described, and a client generated from it with
 * openapi-typescript + openapi-fetch type-checks against a running node with errors typed as
 * problems (not `undefined`), and reads one.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

type Operation = { operationId?: string; security?: Array<Record<string, string[]>>; responses: Record<string, { $ref?: string }>; requestBody?: { required: boolean } };
type Document = { servers: unknown[]; info: { license?: { name: string } }; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

const operationsOf = (document: Document) => Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));

/** A program written against the generated types: `error.code` only compiles if errors are typed. */
const clientProgram = `import createClient from 'openapi-fetch';
import type { paths } from './accord-api.ts';

export async function missingSegmentCode(baseUrl: string, key: string): Promise<string> {
  const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${key}\` } });
  const { data, error } = await client.GET('/v1/segments/{id}', { params: { path: { id: 999999 } } });
  if (data) throw new Error('segment 999999 should not exist');
  const code: string = error.code;
  const status: number = error.status;
  return \`\${status} \${code}\`;
}
`;

describe.each(storageBackends)('the OpenAPI document on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let document: Document;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    document = (await api.app.inject('/openapi.json')).json();
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('names a server and a license', () => {
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(document.info.license?.name).toBeTruthy();
  });

  it('gives every operation a unique operationId', () => {
    const ids = operationsOf(document).map(({ operation }) => operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.paths['/v1/segments/{id}/refresh']!.post!.operationId).toBe('postSegmentsByIdRefresh');
  });

  it('secures each operation as its route is authenticated: public none, API key, node signature, collection token', () => {
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['bearerApiKey', 'collectionToken', 'headerApiKey', 'nodeSignature']);
    expect(document.paths['/health']!.get!.security).toEqual([]);
    expect(document.paths['/.well-known/accord-node']!.get!.security).toEqual([]);
    expect(document.paths['/v1/segments']!.get!.security).toEqual([{ bearerApiKey: [] }, { headerApiKey: [] }]);
    expect(document.paths['/v1/consent/collect']!.post!.security).toEqual([{ collectionToken: [] }]);
    const nodeRoutes = operationsOf(document).filter(({ path }) => path.startsWith('/v1/node/'));
    expect(nodeRoutes.length).toBeGreaterThan(0);
    for (const { operation } of nodeRoutes) expect(operation.security).toEqual([{ nodeSignature: [] }]);
    expect((document as unknown as { security?: unknown }).security).toBeUndefined();
  });

  it('describes the problem answers of each operation', () => {
    for (const { operation } of operationsOf(document)) {
      expect(operation.responses['500']?.$ref).toBe('#/components/responses/Problem500');
      expect(operation.responses.default?.$ref).toBe('#/components/responses/ProblemDefault');
    }
    const segment = document.paths['/v1/segments/{id}']!.get!.responses;
    for (const status of ['400', '401', '403', '404', '429']) expect(segment[status]?.$ref).toBe(`#/components/responses/Problem${status}`);
    expect(document.paths['/health']!.get!.responses['401']).toBeUndefined();
  });

  it('marks a body optional where the route takes none', () => {
    expect(document.paths['/v1/tags/builtins/runs']!.post!.requestBody?.required).toBe(false);
    expect(document.paths['/v1/privacy-requests/{id}/erasure']!.post!.requestBody?.required).toBe(false);
    expect(document.paths['/v1/segments/estimate']!.post!.requestBody?.required).toBe(true);
  });

  it('generates a client whose errors are typed problems, and reads one from a running node', async () => {
    const dir = await mkdtemp(join(process.cwd(), 'node_modules', '.cache', 'accord-openapi-client-'));
    try {
      await writeFile(join(dir, 'accord-api.ts'), astToString(await openapiTS(document as never)));
      await writeFile(join(dir, 'client.ts'), clientProgram);
      const tsc = join(process.cwd(), 'node_modules', '.bin', 'tsc');
      const options = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--allowImportingTsExtensions', '--skipLibCheck'];
      await promisify(execFile)(tsc, [...options, join(dir, 'client.ts')]).catch((failure: { stdout: string }) => {
        throw new Error(`the generated client does not type-check:\n${failure.stdout}`);
      });
      const baseUrl = await api.app.listen({ host: '127.0.0.1', port: 0 });
      const { missingSegmentCode } = (await import(join(dir, 'client.ts'))) as { missingSegmentCode: (baseUrl: string, key: string) => Promise<string> };
      expect(await missingSegmentCode(baseUrl, (await api.keyFor('brand', ['segments:read'])).token)).toBe('404 ACCORD_ERR_NOT_FOUND');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
