/**
 * `accord psi <keygen|approve|join>`: a party without a node (a media partner with a file) takes
 * part in a collaboration from the command line. It needs no database or configuration: its key
 * file is its identity, the brand node holds the collaboration, and its identifiers stay on this
 * machine; only blinded, signed frames are sent.
 */
import { approveUsage, psiApproveCommand } from './psi-approve-command.ts';
import { joinUsage, psiJoinCommand } from './psi-join-command.ts';
import { keygenUsage, psiKeygenCommand } from './psi-keygen-command.ts';
import { UsageError } from './usage-error.ts';

export const psiUsage = `usage:
  ${keygenUsage}
      a new party key; prints the node id and public key the brand pins (POST /v1/peers without baseUrl)
  ${approveUsage}
      show the collaboration's terms, verified, and sign this party's approval
  ${joinUsage}
      run PSI from a file against the brand node; prints the overlap the terms allow`;

export async function psiCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  switch (action) {
    case 'keygen':
      return psiKeygenCommand(rest);
    case 'approve':
      return psiApproveCommand(rest);
    case 'join':
      return psiJoinCommand(rest);
    case undefined:
    case 'help':
    case '--help':
      console.log(psiUsage);
      return;
    default:
      throw new UsageError(`unknown psi command "${action}"\n${psiUsage}`);
  }
}
