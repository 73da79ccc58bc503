/**
 * Demo step: PSI between the brand and the media partner. The partner uploads its user base (one
 * phone each; 1,000,000 unless `accord demo --partner-users N`), 30% of the brand's members among
 * them. The brand's members grant separate consent to matching with this partner (85% of them);
 * the partner's users are matched under its platform terms (an opt-out basis, which PIPL allows it
 * because nothing identifying leaves its node). Both sign a collaboration; the brand runs an overlap
 * count (which the partner counts and releases with the default noise), then a matched audience, and
 * prints the guarded reports, the guarantees they ran under (noise, ε spent, budget left) and the
 * time each took.
 */
import { demoIngest } from './demo-ingest.ts';
import type { DemoNode } from './demo-node.ts';
import { memberEmail, memberPhone } from './ingest-members.ts';

const PURPOSE = 'audience.matching';
const OVERLAP_SHARE = 0.3;
const BRAND_CONSENT_SHARE = 0.85;

type Collaboration = { id: string; status: string; effectiveTerms: { noise: { epsilonPerRun: number; totalEpsilon: number } | null }; guard: { epsilonSpent: number } };
type Run = { id: string; status: string; mode: string; error: string | null; result: { decision: Record<string, unknown>; membersStored: number; input: Record<string, number>; timingsMs: Record<string, number>; bytes: { sent: number; received: number } } | null };

const partnerPhone = (i: number) => `1390${String(1_000_000 + i).slice(-7)}`;

/** What a collaboration's counts were released under, from the brand's own guard ledger (which mirrors the partner's). */
async function guarantees(brand: DemoNode, collaborationId: string, drawnBy: string): Promise<string> {
  const collaboration = await brand.call<Collaboration>('GET', `/v1/collaborations/${collaborationId}`);
  const { noise } = collaboration.effectiveTerms;
  if (!noise) return 'exact counts (every party opted in)';
  const spent = collaboration.guard.epsilonSpent;
  return `discrete Laplace noise drawn by ${drawnBy}, ε ${noise.epsilonPerRun} per run; privacy budget ε ${spent} of ${noise.totalEpsilon} spent, ${noise.totalEpsilon - spent} left`;
}

/**
 * The brand's member center asked its members for separate consent to matching with this partner;
 * the brand brings what they answered as a member file with consent columns, so each consent is
 * recorded under the person the row's email resolves to (one-ID), in the row's transaction.
 */
async function brandConsents(brand: DemoNode, members: number, recipient: string, say: (line: string) => void): Promise<void> {
  await brand.call('POST', '/v1/consent/purposes', { key: PURPOSE, name: `Audience matching with ${recipient}`, mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, requiresNamedRecipient: true });
  const notice = await brand.call<{ id: string }>('POST', '/v1/consent/notices', {
    noticeKey: 'audience-matching',
    language: 'zh-CN',
    content: `经您单独同意，我们会与${recipient}以加密方式比对会员手机号和邮箱，用于广告受众匹配；对方看不到您的信息。`,
    purposes: [PURPOSE],
    recipients: [recipient],
    dataCategories: ['phone', 'email'],
  });
  const collectedAt = new Date().toISOString();
  const lines = ['email,consent.purpose,consent.recipient,consent.regime,consent.kind,consent.noticeId,consent.channel,consent.source,consent.collectedAt'];
  for (let i = 0; i < members; i++) {
    if ((i * 7919) % 100 < BRAND_CONSENT_SHARE * 100) lines.push(`${memberEmail(i)},${PURPOSE},${recipient},pipl,given,${notice.id},app,member-center,${collectedAt}`);
  }
  const run = await demoIngest(brand, 'members', `${lines.join('\n')}\n`);
  say(`brand: ${run.applied.toLocaleString('en')} of ${members.toLocaleString('en')} members gave separate consent to matching with ${recipient}`);
}

async function partnerUsers(partner: DemoNode, brandMembers: number, users: number, recipient: string, say: (line: string) => void): Promise<void> {
  await partner.call('POST', '/v1/consent/purposes', { key: PURPOSE, name: 'Advertising measurement and matching', mechanism: 'opt_out', legalBasis: { pipl: 'opt_out' } });
  await partner.call('POST', '/v1/consent/notices', { noticeKey: 'platform-terms', language: 'zh-CN', content: '平台用户协议：广告效果衡量与加密匹配，可随时在设置中关闭。', purposes: [PURPOSE], recipients: [recipient], dataCategories: ['phone'] });
  const overlap = Math.min(users, Math.round(brandMembers * OVERLAP_SHARE));
  const lines = ['phone'];
  // Every (1/0.3)th brand member is also a platform user; the rest of the platform is other people.
  for (let i = 0; i < overlap; i++) lines.push(memberPhone(Math.floor(i / OVERLAP_SHARE)));
  for (let i = overlap; i < users; i++) lines.push(partnerPhone(i));
  const started = performance.now();
  const run = await demoIngest(partner, 'members', `${lines.join('\n')}\n`);
  say(`partner: ${run.personsCreated.toLocaleString('en')} platform users ingested in ${((performance.now() - started) / 1000).toFixed(1)} s (${overlap.toLocaleString('en')} of them are brand members)`);
}

async function collaborate(brand: DemoNode, partner: DemoNode, name: string, matchedToBrand: boolean): Promise<string> {
  const brandNode = brand.nodeId;
  const created = await brand.call<Collaboration>('POST', '/v1/collaborations', {
    name,
    parties: [{ nodeId: brandNode, role: 'brand' }, { nodeId: partner.nodeId, role: 'partner' }],
    purpose: PURPOSE,
    recipients: [partner.name],
    outputs: { matchedToBrand, matchedToPartner: false },
    idTypes: ['phone', 'email'],
    minOverlap: 100,
    expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  });
  await brand.call('POST', `/v1/collaborations/${created.id}/approve`, { constraints: {} });
  const peers = await partner.call<{ items: Array<{ id: string; nodeId: string }> }>('GET', '/v1/peers');
  await partner.call('POST', '/v1/collaborations/import', { fromPeer: peers.items.find((peer) => peer.nodeId === brandNode)!.id, collaborationId: created.id });
  await partner.call('POST', `/v1/collaborations/${created.id}/approve`, { constraints: { minOverlap: 200 } });
  for (let i = 0; i < 100; i++) {
    if ((await brand.call<Collaboration>('GET', `/v1/collaborations/${created.id}`)).status === 'approved') return created.id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`collaboration ${name} was not approved on the brand node`);
}

async function runPsi(brand: DemoNode, partner: DemoNode, collaborationId: string, mode: 'balanced' | 'unbalanced'): Promise<{ run: Run; seconds: number }> {
  const started = performance.now();
  let run = await brand.call<Run>('POST', '/v1/psi/runs', { collaborationId, mode });
  while (run.status !== 'finished' && run.status !== 'failed') {
    await new Promise((resolve) => setTimeout(resolve, 250));
    run = await brand.poll<Run>(`/v1/psi/runs/${run.id}`);
  }
  if (run.status === 'failed') {
    // The brand sees the partner's reason as a code only; the partner's own record says more.
    const served = await partner.call<Run>('GET', `/v1/psi/runs/${run.id}`).catch(() => undefined);
    throw new Error(`PSI run ${run.id} failed: ${run.error}${served?.error ? `; the partner's record of it: ${served.error}` : ''}`);
  }
  return { run, seconds: (performance.now() - started) / 1000 };
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

export async function runPsiStep(brand: DemoNode, partner: DemoNode, say: (line: string) => void, options: { members: number; partnerUsers: number }): Promise<void> {
  await brandConsents(brand, options.members, partner.name, say);
  await partnerUsers(partner, options.members, options.partnerUsers, partner.name, say);

  const sizing = await collaborate(brand, partner, 'Audience sizing (count only)', false);
  say(`collaboration "Audience sizing": count only, phone then email, minimum overlap 100 (the partner tightened it to 200) — approved by both`);
  const count = await runPsi(brand, partner, sizing, 'balanced');
  const decision = count.run.result!.decision;
  const sent = count.run.result!.input;
  say(`overlap count in ${count.seconds.toFixed(1)} s: ${decision.released ? `${Number(decision.total).toLocaleString('en')} people` : `withheld (${String(decision.reason)})`}, counted and released by the partner; brand sent ${sent.phone?.toLocaleString('en')} phones, ${mb(count.run.result!.bytes.sent)} out, ${mb(count.run.result!.bytes.received)} in`);
  say(`  guarantees: ${await guarantees(brand, sizing, 'the partner')}`);

  const retargeting = await collaborate(brand, partner, 'Retargeting audience', true);
  say('collaboration "Retargeting audience": matched members to the brand, unbalanced (the partner blinds its base once per key epoch)');
  const audience = await runPsi(brand, partner, retargeting, 'unbalanced');
  say(`matched audience in ${audience.seconds.toFixed(1)} s: ${audience.run.result!.membersStored.toLocaleString('en')} brand members stored for activation (${audience.run.result!.decision.released ? 'released by the guard' : 'withheld by the guard'})`);
  const again = await runPsi(brand, partner, retargeting, 'unbalanced');
  say(`the same audience again in ${again.seconds.toFixed(1)} s from the partner's cached blinded set: ${again.run.result!.membersStored.toLocaleString('en')} members`);
  say(`  guarantees: members released exactly (the terms give them to the brand); their count with ${await guarantees(brand, retargeting, 'the brand')}`);
}
