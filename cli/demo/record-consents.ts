/**
 * Demo step: the brand's privacy officer defines two purposes and publishes a notice, which also
 * covers the member analytics every tenant has (analytics.profiling: the member file of the next
 * step brings each member's registration consent to it); members' consents arrive through the API
 * (most grant, some refuse, some withdraw later, a few minors through a guardian); then the gate
 * is asked about every member for both purposes.
 */
import { PROFILING_PURPOSE } from '../../core/consent/profiling-purpose.ts';
import type { DemoNode } from './demo-node.ts';

const MEMBERS = 200;
const LOOKALIKE = 'marketing.advertising.lookalike';
const SMS = 'marketing.sms';

export async function recordConsents(brand: DemoNode, partner: DemoNode, say: (line: string) => void): Promise<void> {
  const recipient = partner.name;
  await brand.call('POST', '/v1/consent/purposes', {
    key: LOOKALIKE,
    name: 'Lookalike audiences with our media partner',
    mechanism: 'opt_in',
    legalBasis: { pipl: 'consent' },
    retentionDays: 365,
    requiresNamedRecipient: true,
  });
  await brand.call('POST', '/v1/consent/purposes', { key: SMS, name: 'Offers by SMS', mechanism: 'opt_in', legalBasis: { pipl: 'consent' } });
  const notice = await brand.call<{ id: string; version: number }>('POST', '/v1/consent/notices', {
    noticeKey: 'member-privacy',
    language: 'zh-CN',
    content: `会员隐私政策：我们会根据您的会员资料和订单为您打标签、分群，用于会员运营分析；经您单独同意，我们会与${recipient}共享加密后的手机号用于相似人群扩展，并通过短信向您发送优惠。`,
    purposes: [PROFILING_PURPOSE, LOOKALIKE, SMS],
    recipients: [recipient],
    dataCategories: ['phone', 'orders'],
  });
  say(`brand defined ${LOOKALIKE} (named recipient: ${recipient}) and ${SMS}; published notice v${notice.version}`);

  const start = Date.now() + 1_000;
  const tally = { granted: 0, refused: 0, withdrawn: 0, minors: 0 };
  for (let i = 0; i < MEMBERS; i++) {
    const subject = `member-${String(i).padStart(5, '0')}`;
    const base = { subject, regime: 'pipl', channel: 'wechat-mini-program', source: 'member-signup', noticeId: notice.id, evidence: { formId: 'signup-v3' } };
    const minor = i % 50 === 7;
    const refuses = i % 10 === 3;
    const kind = minor ? 'guardian_given' : refuses ? 'refused' : 'given';
    for (const purpose of [LOOKALIKE, SMS]) {
      await brand.call('POST', '/v1/consent/events', {
        ...base,
        clientEventId: `${subject}/${purpose}/signup`,
        purpose,
        ...(purpose === LOOKALIKE ? { recipient } : {}),
        kind,
        subjectIsMinor: minor,
        evidence: minor ? { formId: 'signup-v3', guardianReference: `guardian-of-${subject}` } : base.evidence,
        collectedAt: new Date(start + i).toISOString(),
      });
    }
    if (minor) tally.minors += 1;
    else if (refuses) tally.refused += 1;
    else tally.granted += 1;
    if (!refuses && i % 10 === 6) {
      await brand.call('POST', '/v1/consent/events', {
        ...base,
        noticeId: undefined,
        clientEventId: `${subject}/${LOOKALIKE}/withdraw`,
        purpose: LOOKALIKE,
        recipient,
        kind: 'withdrawn',
        collectedAt: new Date(start + MEMBERS + i).toISOString(),
      });
      tally.withdrawn += 1;
    }
  }
  say(`recorded consents of ${MEMBERS} members: ${tally.granted} granted, ${tally.minors} minors through a guardian, ${tally.refused} refused, ${tally.withdrawn} later withdrew lookalike`);

  for (const purpose of [LOOKALIKE, SMS]) {
    let allowed = 0;
    for (let i = 0; i < MEMBERS; i++) {
      const answer = await brand.call<{ allowed: boolean }>('POST', '/v1/consent/check', {
        subject: `member-${String(i).padStart(5, '0')}`,
        purpose,
        regime: 'pipl',
        ...(purpose === LOOKALIKE ? { recipient } : {}),
      });
      if (answer.allowed) allowed += 1;
    }
    say(`gate ${purpose}${purpose === LOOKALIKE ? ` → ${recipient}` : ''}: ${allowed} of ${MEMBERS} members allowed`);
  }
  const checkpoint = await brand.call<{ treeSize: number; rootHash: string }>('POST', '/v1/consent/checkpoints', {});
  say(`signed checkpoint of the consent log: ${checkpoint.treeSize} events, root ${checkpoint.rootHash.slice(0, 16)}…`);
  const verified = await brand.call<{ ok: boolean; eventsChecked: number; checkpointsChecked: number }>('GET', '/v1/consent/verify');
  say(`consent log verifies: ${verified.ok} (${verified.eventsChecked} events hash-chained, ${verified.checkpointsChecked} signed checkpoint matches)`);
}
