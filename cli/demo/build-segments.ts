/**
 * Demo step: on the ingested members, the brand computes RFM, lifecycle and CLV tags, builds two
 * dynamic segments ("Shanghai members, loyal or sleeping" and "birthday this month, bought in the
 * last year"), and prints their sizes and a portrait with no cell under 10 people.
 */
import type { DemoNode } from './demo-node.ts';

type Segment = { segment: { id: number; name: string }; refresh: { memberCount: number } };
type Portrait = { members: number; suppressed: boolean; distributions: Array<{ cells: Array<{ value: string; count: number }> }> };

const SEGMENTS = [
  {
    name: 'Shanghai members, loyal or sleeping',
    rule: { all: [{ attribute: 'city', op: '=', value: '上海' }, { tag: 'lifecycle_stage', op: 'in', values: ['loyal', 'sleeping'] }] },
  },
  {
    name: 'birthday this month, bought in the last year',
    rule: { all: [{ attribute: 'birthday', part: 'month', op: '=', value: 'now' }, { orders: 'count', withinDays: 365, op: '>=', value: 1 }] },
  },
];

const cells = (portrait: Portrait, index: number) =>
  portrait.distributions[index]!.cells.map((cell) => `${cell.value} ${cell.count.toLocaleString('en')}`).join(', ');

export async function buildSegments(brand: DemoNode, _partner: DemoNode, say: (line: string) => void): Promise<void> {
  const builtins = await brand.call<{ persons: { rfm: number; lifecycle: number; clv: number } }>('POST', '/v1/tags/builtins/runs', {});
  say(`computed RFM for ${builtins.persons.rfm.toLocaleString('en')}, lifecycle stage for ${builtins.persons.lifecycle.toLocaleString('en')} and CLV for ${builtins.persons.clv.toLocaleString('en')} persons`);
  for (const definition of SEGMENTS) {
    const created = await brand.call<Segment>('POST', '/v1/segments', { kind: 'dynamic', ...definition });
    say(`segment "${created.segment.name}": ${created.refresh.memberCount.toLocaleString('en')} members`);
    const portrait = await brand.call<Portrait>('POST', `/v1/segments/${created.segment.id}/portrait`, { dimensions: [{ builtIn: 'lifecycle' }, { attribute: 'gender' }], k: 10 });
    if (portrait.suppressed) say('  portrait withheld: fewer than 10 members');
    else say(`  portrait (no cell under 10): lifecycle ${cells(portrait, 0)}; gender ${cells(portrait, 1)}`);
  }
}
