/**
 * What every `accord psi` command that talks to a node starts from: the party's key file (its
 * identity) and the brand node (`--server`, checked against `--server-key` when given, each request
 * waiting at most `--timeout` seconds for its answer).
 */
import { partyIdentity, readPartyKeyFile } from '../core/psi/party-key-file.ts';
import type { NodeIdentity } from '../core/identity/node-identity.ts';
import { DEFAULT_TIMEOUT_MS } from '../core/peers/peer-client.ts';
import { usageText } from './command-usages.ts';
import { serverNodeAt, type ServerNode } from './psi-collaboration.ts';
import { UsageError } from './usage-error.ts';

export const partyOptions = {
  server: { type: 'string' },
  collaboration: { type: 'string' },
  key: { type: 'string' },
  'server-key': { type: 'string' },
  timeout: { type: 'string' },
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PartySession {
  readonly identity: NodeIdentity;
  readonly server: ServerNode;
  readonly collaborationId: string;
}

type PartyValues = { [Name in keyof typeof partyOptions]?: string | undefined };

function timeoutMsOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3_600) throw new UsageError('--timeout takes whole seconds from 1 to 3600');
  return seconds * 1_000;
}

export async function openPartySession(values: PartyValues, command: 'psi approve' | 'psi join'): Promise<PartySession> {
  const usage = usageText(command);
  if (!values.server || !values.collaboration || !values.key) throw new UsageError(usage);
  if (!UUID.test(values.collaboration)) throw new UsageError(`--collaboration takes the collaboration's id (a UUID)\n${usage}`);
  if (!URL.canParse(values.server) || !/^https?:$/.test(new URL(values.server).protocol)) throw new UsageError(`--server takes the brand node's http(s) URL\n${usage}`);
  const timeoutMs = timeoutMsOf(values.timeout);
  const identity = partyIdentity(await readPartyKeyFile(values.key));
  const server = await serverNodeAt(values.server, values['server-key'], timeoutMs);
  return { identity, server, collaborationId: values.collaboration.toLowerCase() };
}
