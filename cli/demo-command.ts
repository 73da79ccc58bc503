/**
 * `accord demo`: a brand node and a media partner node, each its own `accord start` process on a
 * loopback port with its own embedded database, as two parties would run them; the demo drives both
 * through their APIs and stops them at the end, on failure, and on SIGINT or SIGTERM. Each feature
 * adds its step to `steps`, so the demo grows into the whole mission end to end.
 */
import { parseArgs } from 'node:util';
import { buildSegments } from './demo/build-segments.ts';
import { ingestMembers } from './demo/ingest-members.ts';
import { introduceNodes } from './demo/introduce-nodes.ts';
import { recordConsents } from './demo/record-consents.ts';
import { runPsiStep } from './demo/run-psi.ts';
import { startDemoNode, type DemoNode, type NodeUsage } from './demo/demo-node.ts';
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
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      const usages: Array<[DemoNode, NodeUsage | undefined]> = [];
      for (const node of [...started].reverse()) usages.push([node, await node.close().catch(() => undefined)]);
      for (const [node, usage] of usages.reverse()) {
        const rss = usage?.peakRssBytes === undefined ? '' : `peak RSS ${mib(usage.peakRssBytes)}, `;
        console.log(`${node.name}: ${rss}slowest answer to a poll ${(node.slowestPollMs() / 1000).toFixed(1)} s`);
      }
      console.log(`demo process: peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`);
      console.log(`stopped ${started.length} node(s)`);
    })());
  // Interrupted: the nodes are this process's children and go with it.
  const interrupted = (signal: NodeJS.Signals) => {
    console.error(`accord: demo interrupted (${signal}); stopping the nodes`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const brand = await startDemoNode('Brand (demo)');
    started.push(brand);
    console.log(`started ${brand.name} at ${brand.url} (node ${brand.nodeId})`);
    const partner = await startDemoNode('Media partner (demo)');
    started.push(partner);
    console.log(`started ${partner.name} at ${partner.url} (node ${partner.nodeId})`);
    for (const [index, step] of steps.entries()) {
      console.log(`step ${index + 1}: ${step.title}`);
      const started = performance.now();
      await step.run(brand, partner, say, { members, partnerUsers });
      say(`(step ${index + 1} took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await stopAll();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MiB`;
