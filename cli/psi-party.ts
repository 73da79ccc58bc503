/**
 * What every `accord psi` command that talks to a node starts from: the party's key file (its
 * identity) and the brand node (`--server`, checked against `--server-key` when given).
 */
import { partyIdentity, readPartyKeyFile } from '../core/psi/party-key-file.ts';
import type { NodeIdentity } from '../core/identity/node-identity.ts';
import { serverNodeAt, type ServerNode } from './psi-collaboration.ts';
import { UsageError } from './usage-error.ts';

export const partyOptions = {
  server: { type: 'string' },
  collaboration: { type: 'string' },
  key: { type: 'string' },
  'server-key': { type: 'string' },
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PartySession {
  readonly identity: NodeIdentity;
  readonly server: ServerNode;
  readonly collaborationId: string;
}

export async function openPartySession(values: { server?: string | undefined; collaboration?: string | undefined; key?: string | undefined; 'server-key'?: string | undefined }, usage: string): Promise<PartySession> {
  if (!values.server || !values.collaboration || !values.key) throw new UsageError(`usage: ${usage}`);
  if (!UUID.test(values.collaboration)) throw new UsageError(`--collaboration takes the collaboration's id (a UUID)\nusage: ${usage}`);
  if (!URL.canParse(values.server) || !/^https?:$/.test(new URL(values.server).protocol)) throw new UsageError(`--server takes the brand node's http(s) URL\nusage: ${usage}`);
  const identity = partyIdentity(await readPartyKeyFile(values.key));
  const server = await serverNodeAt(values.server, values['server-key']);
  return { identity, server, collaborationId: values.collaboration.toLowerCase() };
}
