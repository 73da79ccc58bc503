/** `accord start` and `accord worker`: run until SIGINT or SIGTERM, then shut down cleanly. */
import type { Config } from '../core/config/config.ts';
import { startNode, type NodeRoles } from '../api/start-node.ts';

export async function startCommand(config: Config, roles: NodeRoles): Promise<void> {
  const node = await startNode(config, roles);
  if (!roles.api) {
    console.error(`accord worker running (queue: ${node.jobs.kind}, database: ${node.database.description})`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await node.close();
}
