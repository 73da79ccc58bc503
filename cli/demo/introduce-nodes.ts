/** Demo step: each node reads the other's published identity and pins its key as a peer. */
import type { DemoNode } from './demo-node.ts';

interface NodeCard {
  nodeId: string;
  partyName: string;
  publicKey: string;
}

export async function introduceNodes(brand: DemoNode, partner: DemoNode, say: (line: string) => void): Promise<void> {
  for (const [self, other] of [
    [brand, partner],
    [partner, brand],
  ] as const) {
    const card = await (await fetch(`${other.url}/.well-known/accord-node`)).json() as NodeCard;
    const peer = await self.call<{ id: string }>('POST', '/v1/peers', {
      nodeId: card.nodeId,
      name: card.partyName,
      baseUrl: other.url,
      publicKey: card.publicKey,
    });
    say(`${self.name} pinned ${card.partyName} (node ${card.nodeId}, key ${card.publicKey.slice(0, 12)}…) as peer ${peer.id}`);
  }
}
