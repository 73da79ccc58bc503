/**
 * The public preference centre: a person opens the link the brand sent (the collection token rides
 * in the URL fragment, so it never reaches a server log or a Referer header), sees what they agreed
 * to in plain words, and withdraws or agrees with one switch, as easily one way as the other. Works
 * at phone width and inside a web-view; Simplified Chinese or English.
 */
import { render } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';

const words = {
  en: {
    title: 'Your privacy choices', intro: 'What you agreed to, and your choice now. Change any of them at any time; withdrawing is as easy as agreeing.',
    purposes: 'How we may use your data', channels: 'How we may contact you', email: 'Email', sms: 'Text messages', saved: 'Saved.', agreed: 'Agreed', notAgreed: 'Not agreed',
    invalid: 'This link is not valid or has expired. Ask for a new one.', loading: 'Loading…', other: '中文',
  },
  'zh-CN': {
    title: '您的隐私选择', intro: '您同意过的内容及当前选择。您可以随时更改；撤回与同意一样简单。',
    purposes: '我们如何使用您的数据', channels: '我们如何联系您', email: '电子邮件', sms: '短信', saved: '已保存。', agreed: '已同意', notAgreed: '未同意',
    invalid: '此链接无效或已过期，请索取新的链接。', loading: '加载中…', other: 'English',
  },
} as const;
type Language = keyof typeof words;

interface Centre {
  regime: string;
  purposes: { key: string; name: string; mechanism: string; granted: boolean }[];
  channels: Record<string, string>;
}

const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
const byToken = { authorization: `AccordCollect ${token}` };
const requested = new URLSearchParams(location.search).get('lang');
const initial: Language = requested === 'en' || requested === 'zh-CN' ? requested : navigator.language.startsWith('zh') ? 'zh-CN' : 'en';

function PreferenceCentre() {
  const [language, setLanguage] = useState<Language>(initial);
  const [centre, setCentre] = useState<Centre | undefined>();
  const [status, setStatus] = useState<'loading' | 'ready' | 'saved' | 'invalid' | 'error'>('loading');
  const [error, setError] = useState('');
  const w = words[language];
  const load = () =>
    api<Centre>('GET', '/v1/preference-centre', undefined, byToken)
      .then((loaded) => {
        setCentre(loaded);
        setStatus((current) => (current === 'loading' ? 'ready' : current));
      })
      .catch(() => setStatus('invalid'));
  useEffect(() => {
    document.documentElement.lang = language;
    document.title = w.title;
  }, [language]);
  useEffect(() => void load(), []);

  const save = async (change: () => Promise<unknown>) => {
    setError('');
    try {
      await change();
      setStatus('saved');
      await load();
    } catch (problem) {
      setStatus('error');
      setError((problem as Error).message);
    }
  };
  const choose = (purpose: string, agree: boolean) =>
    save(() =>
      api('POST', '/v1/consent/collect', {
        events: [{ clientEventId: crypto.randomUUID(), purpose, regime: centre!.regime, kind: agree ? 'given' : 'withdrawn', channel: 'web', source: 'preference-centre', collectedAt: new Date().toISOString(), evidence: { language } }],
      }, byToken),
    );
  const contact = (channel: string, optIn: boolean) =>
    save(() => api('PATCH', '/v1/preference-centre/channels', { clientChangeId: crypto.randomUUID(), channels: { [channel]: optIn ? 'opt_in' : 'opt_out' } }, byToken));

  return html`<main>
    <p><button type="button" onClick=${() => setLanguage(language === 'en' ? 'zh-CN' : 'en')}>${w.other}</button></p>
    <h1>${w.title}</h1>
    ${status === 'loading' && html`<p>${w.loading}</p>`}
    ${status === 'invalid' && html`<p role="alert" class="error">${w.invalid}</p>`}
    ${centre && status !== 'invalid' && html`
      <p>${w.intro}</p>
      <h2>${w.purposes}</h2>
      ${centre.purposes.map((p) => html`<div class="purpose" data-purpose=${p.key}>
        <span>${p.name}</span>
        <label><input type="checkbox" role="switch" name=${p.key} checked=${p.granted} onChange=${(e: Event) => choose(p.key, (e.target as HTMLInputElement).checked)} /> ${p.granted ? w.agreed : w.notAgreed}</label>
      </div>`)}
      <h2>${w.channels}</h2>
      ${(['email', 'sms'] as const).map((channel) => html`<div class="purpose" data-channel=${channel}>
        <span>${w[channel]}</span>
        <label><input type="checkbox" role="switch" name=${`channel-${channel}`} checked=${centre.channels[channel] !== 'opt_out'} onChange=${(e: Event) => contact(channel, (e.target as HTMLInputElement).checked)} /> ${centre.channels[channel] === 'opt_out' ? w.notAgreed : w.agreed}</label>
      </div>`)}
      <p role="status">${status === 'saved' ? w.saved : ''}</p>
      ${error && html`<p role="alert" class="error">${error}</p>`}
    `}
  </main>`;
}

render(html`<${PreferenceCentre} />`, document.getElementById('app')!);
