/**
 * `accord demo`: a brand node and a media partner node in one process on loopback ports, each with
 * its own embedded database. Each feature adds its step to `steps`, so the demo grows into the whole
 * mission end to end.
 */
import { parseArgs } from 'node:util';
import { buildSegments } from './demo/build-segments.ts';
import { ingestMembers } from './demo/ingest-members.ts';
import { introduceNodes } from './demo/introduce-nodes.ts';
import { recordConsents } from './demo/record-consents.ts';
import { runPsiStep } from './demo/run-psi.ts';
import { startDemoNode, type DemoNode } from './demo/demo-node.ts';
import { UsageError } from './usage-error.ts';

interface DemoOptions {
  /** Members in the generated first-party file. */
  members: number;
  /** Users in the media partner's user base. */
  partnerUsers: number;
}

type DemoStep = { title: string; run(brand: DemoNode, partner: DemoNode, say: (line: string) => void, options: DemoOptions): Promise<void> };

const steps: DemoStep[] = [
  { title: 'introduce the nodes', run: introduceNodes },
  { title: 'record consents and ask the gate', run: recordConsents },
  { title: 'ingest members and orders (one-ID)', run: (brand, _partner, say, options) => ingestMembers(brand, say, options.members) },
  { title: 'tags and segments', run: buildSegments },
  { title: 'PSI with the media partner: overlap count, then a matched audience', run: runPsiStep },
];

export async function demoCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { members: { type: 'string', default: '100000' }, 'partner-users': { type: 'string', default: '1000000' } } });
  const members = Number(values.members);
  if (!Number.isInteger(members) || members < 1 || members > 1_000_000) throw new UsageError('--members must be an integer from 1 to 1,000,000');
  const partnerUsers = Number(values['partner-users']);
  if (!Number.isInteger(partnerUsers) || partnerUsers < 1 || partnerUsers > 5_000_000) throw new UsageError('--partner-users must be an integer from 1 to 5,000,000');
  const say = (line: string) => console.log(`  ${line}`);
  const started: DemoNode[] = [];
  try {
    const brand = await startDemoNode('Brand (demo)');
    started.push(brand);
    console.log(`started ${brand.name} at ${brand.url} (node ${brand.node.identity.nodeId})`);
    const partner = await startDemoNode('Media partner (demo)');
    started.push(partner);
    console.log(`started ${partner.name} at ${partner.url} (node ${partner.node.identity.nodeId})`);
    for (const [index, step] of steps.entries()) {
      console.log(`step ${index + 1}: ${step.title}`);
      await step.run(brand, partner, say, { members, partnerUsers });
    }
  } finally {
    for (const node of started.reverse()) await node.close();
    console.log(`stopped ${started.length} node(s)`);
  }
}
