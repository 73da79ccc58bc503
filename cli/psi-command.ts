/**
 * `accord psi <keygen|approve|join>`: a party without a node (a media partner with a file) takes
 * part in a collaboration from the command line. It needs no database or configuration: its key
 * file is its identity, the brand node holds the collaboration, and its identifiers stay on this
 * machine; only blinded, signed frames are sent.
 */
import { usageText } from './command-usages.ts';
import { psiApproveCommand } from './psi-approve-command.ts';
import { psiJoinCommand } from './psi-join-command.ts';
import { psiKeygenCommand } from './psi-keygen-command.ts';
import { UsageError } from './usage-error.ts';

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
      console.log(usageText('psi'));
      return;
    default:
      throw new UsageError(`unknown psi command "${action}"\n${usageText('psi')}`);
  }
}
