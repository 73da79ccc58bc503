/**
 * `accord psi keygen --out partner.key [--name N]`: a new party id and Ed25519 key, saved for its
 * owner only, and what the brand needs to pin it: the node id and public key, as the body of the
 * brand node's POST /v1/peers (no baseUrl: the CLI party has no address, it always calls).
 */
import { parseArgs } from 'node:util';
import { createPartyKeyFile } from '../core/psi/party-key-file.ts';
import { usageText } from './command-usages.ts';
import { UsageError } from './usage-error.ts';

export async function psiKeygenCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, name: { type: 'string', default: 'Media partner' } } });
  if (!values.out) throw new UsageError(usageText('psi keygen'));
  const key = await createPartyKeyFile(values.out, values.name);
  const publicKey = Buffer.from(key.publicKey).toString('base64');
  console.log(`party key written to ${values.out} (mode 600; whoever holds it signs as this party)`);
  console.log(`node id     ${key.nodeId}`);
  console.log(`public key  ${publicKey}`);
  console.log('the brand pins it on its node, then names it as a party of the collaboration:');
  console.log(`  POST /v1/peers ${JSON.stringify({ nodeId: key.nodeId, name: key.partyName, publicKey })}`);
}
