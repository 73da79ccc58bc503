/**
 * Demo step: the brand uploads its member file and its order file through the ingest API, as a
 * CRM export would arrive: members (100,000 unless `accord demo --members N`) with email and phone (some also a WeChat openid), city,
 * gender and birthday, and for 24 in 25 of them the consent to member analytics they gave at
 * registration (recorded through the ledger with the row; the others are not profiled, PIPL being
 * the tenant's regime); about 3% of rows are the same person arriving again through another
 * channel with a new phone, so one-ID merges them; then about 150,000 orders over the last two years.
 */
import { PROFILING_PURPOSE } from '../../core/consent/profiling-purpose.ts';
import { demoIngest } from './demo-ingest.ts';
import type { DemoNode } from './demo-node.ts';

const CITIES = ['上海', '北京', '杭州', '深圳', '成都', '广州'];
const CATEGORIES = ['outdoor', 'running', 'kids', 'apparel', 'accessories'];
const CHANNELS = ['tmall', 'jd', 'wechat-mini-program', 'store', 'app'];
const DAY_MS = 86_400_000;

/** A deterministic stream of numbers in [0, 1): the demo prints the same figures every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Member i's email: the PSI step records the members' consent to matching by it. */
export const memberEmail = (i: number) => `member${i}@example.cn`;
/** Member i's mobile: the PSI step puts some of them in the partner's user base. */
export const memberPhone = (i: number) => `1380${String(1_000_000 + i).slice(-7)}`;

/** Whether member i brings a registration consent to member analytics. */
const consents = (i: number) => i % 25 !== 11;

function membersCsv(random: () => number, members: number): string {
  const consentColumns = 'consent.purpose,consent.noticeKey,consent.noticeVersion,consent.noticeLanguage,consent.collectedAt,consent.channel,consent.evidence.formId';
  const lines = [`email,phone,wechat_openid@wxdemo,attr.city,attr.gender,attr.birthday,${consentColumns}`];
  // The member-privacy notice was published in the previous step: the registrations follow it.
  const registeredAt = new Date().toISOString();
  for (let i = 0; i < members; i++) {
    const city = CITIES[Math.floor(random() * CITIES.length)]!;
    const birthday = new Date(Date.UTC(1970 + Math.floor(random() * 35), Math.floor(random() * 12), 1 + Math.floor(random() * 28))).toISOString().slice(0, 10);
    const openid = random() < 0.3 ? `oDemo${i.toString(36)}` : '';
    const consent = consents(i) ? `${PROFILING_PURPOSE},member-privacy,1,zh-CN,${registeredAt},${openid ? 'wechat-mini-program' : 'store'},signup-v3` : ',,,,,,';
    lines.push(`${memberEmail(i)},${memberPhone(i)},${openid},${city},${random() < 0.55 ? 'f' : 'm'},${birthday},${consent}`);
    // The same member again through another channel, with a second phone: one person after one-ID.
    if (i % 33 === 5) lines.push(`${memberEmail(i)},${memberPhone(members + i)},,${city},,,,,,,,,`);
  }
  return `${lines.join('\n')}\n`;
}

function ordersCsv(random: () => number, members: number): string {
  const lines = ['order_id,email,placed_at,amount,currency,channel,status,items'];
  const now = Date.now();
  let n = 0;
  for (let i = 0; i < members; i++) {
    if (random() < 0.35) continue;
    const count = 1 + Math.floor(random() * random() * 6);
    for (let k = 0; k < count; k++) {
      const category = CATEGORIES[Math.floor(random() * CATEGORIES.length)]!;
      const amount = (49 + Math.floor(random() * 950)).toFixed(2);
      const items = JSON.stringify([{ sku: `${category.toUpperCase()}-${Math.floor(random() * 40)}`, category, quantity: 1, amount }]).replaceAll('"', '""');
      const placedAt = new Date(now - Math.floor(random() * 730) * DAY_MS - Math.floor(random() * DAY_MS)).toISOString();
      lines.push(`D${++n},${memberEmail(i)},${placedAt},${amount},CNY,${CHANNELS[Math.floor(random() * CHANNELS.length)]},${random() < 0.04 ? 'refunded' : 'paid'},"${items}"`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function ingestMembers(brand: DemoNode, say: (line: string) => void, count: number): Promise<void> {
  const random = seeded(20261123);
  const members = await demoIngest(brand, 'members', membersCsv(random, count));
  say(`members file: ${members.rowsRead.toLocaleString('en')} rows → ${members.personsCreated.toLocaleString('en')} persons after one-ID (${members.applied.toLocaleString('en')} applied, ${members.status})`);
  // Every member has a city: the estimate counts the members the gate allows for member analytics.
  const profiled = await brand.call<{ members: number }>('POST', '/v1/segments/estimate', { rule: { attribute: 'city', op: 'exists' } });
  say(`  registration consents came with the rows: ${profiled.members.toLocaleString('en')} of ${members.personsCreated.toLocaleString('en')} members may be profiled (${PROFILING_PURPOSE}, PIPL)`);
  const orders = await demoIngest(brand, 'orders', ordersCsv(random, count));
  say(`orders file: ${orders.rowsRead.toLocaleString('en')} orders attached to their members (${orders.rejected} refused, ${orders.status})`);
}
