/** The pages' words in English and Simplified Chinese; the language is the reader's choice, remembered in the page only. */
const words = {
  en: {
    signIn: 'Sign in', apiKey: 'API key', role: 'Role', anyRole: 'Broadest the key allows', signOut: 'Sign out',
    privacy_officer: 'Privacy officer', marketer: 'Marketer', admin: 'Admin',
    person: 'Person', requests: 'Privacy requests', rates: 'Consent rates', collaborations: 'Collaborations', segments: 'Segments', psiRuns: 'PSI runs', ingest: 'Uploads',
    identifier: 'Identifier', identifierType: 'Identifier type', subjectReference: 'subject reference', identifierScope: 'Scope (member programme, app)', find: 'Find', currentState: 'Current consent', timeline: 'Consent timeline', noEvents: 'No consent events for this identifier.',
    purpose: 'Purpose', recipient: 'Recipient', regime: 'Regime', kind: 'Event', notice: 'Notice version', channel: 'Channel', source: 'Source', evidence: 'Evidence', collectedAt: 'Collected', granted: 'Agreed', yes: 'yes', no: 'no',
    verify: 'Verify against signed checkpoints', verified: 'Log verified', notVerified: 'Log verification FAILED', receipt: 'Signed receipt', sealCheckpoint: 'Sign a checkpoint now',
    newRequest: 'Log a request', subject: 'Subject', status: 'Status', due: 'Deadline', overdue: 'overdue', create: 'Create', moveTo: 'Move to', erase: 'Erase this person',
    eraseConfirm: 'Erase this person? Every consent is withdrawn, their stored personal values are shredded, they are removed from segments and stored matches, and recipients are told. This cannot be undone.',
    removals: 'Removal per store', noRemovals: 'No derived store (segments, matches, destinations) held this person.', store: 'Store', removed: 'Removed', trail: 'Trail', from: 'From', to: 'To', show: 'Show', rateTitle: 'Consent rate per purpose and channel', rateByNotice: 'Consent rate per notice version',
    approve: 'Approve', revoke: 'Revoke', revokeConfirm: 'Revoke this collaboration? No party may run anything under it any more; the other parties are told.', reason: 'Reason', terms: 'Terms as proposed', effective: 'Strictest result (effective terms)', partyConstraints: 'Constraints each party set', budget: 'Privacy budget',
    forbidden: 'Your role may not see this page.', error: 'Error', loading: 'Loading…', language: '中文',
  },
  'zh-CN': {
    signIn: '登录', apiKey: 'API 密钥', role: '角色', anyRole: '密钥允许的最大角色', signOut: '退出',
    privacy_officer: '隐私官', marketer: '市场人员', admin: '管理员',
    person: '个人', requests: '隐私请求', rates: '同意率', collaborations: '合作', segments: '人群', psiRuns: 'PSI 运行', ingest: '上传',
    identifier: '标识符', identifierType: '标识符类型', subjectReference: '主体引用', identifierScope: '范围（会员计划、应用）', find: '查找', currentState: '当前同意状态', timeline: '同意时间线', noEvents: '该标识符没有同意记录。',
    purpose: '目的', recipient: '接收方', regime: '法规', kind: '事件', notice: '告知版本', channel: '渠道', source: '来源', evidence: '证据', collectedAt: '收集时间', granted: '已同意', yes: '是', no: '否',
    verify: '对照签名检查点验证', verified: '日志已验证', notVerified: '日志验证失败', receipt: '签名回执', sealCheckpoint: '立即签署检查点',
    newRequest: '登记请求', subject: '主体', status: '状态', due: '截止', overdue: '已逾期', create: '创建', moveTo: '转到', erase: '删除此人数据',
    eraseConfirm: '删除此人数据？将撤回全部同意、销毁其个人信息、从人群和匹配结果中移除并通知接收方。此操作不可撤销。',
    removals: '各存储的删除情况', noRemovals: '没有派生存储（人群、匹配结果、投放目的地）持有此人。', store: '存储', removed: '已删除', trail: '记录', from: '从', to: '到', show: '显示', rateTitle: '各目的与渠道的同意率', rateByNotice: '各告知版本的同意率',
    approve: '批准', revoke: '撤销', revokeConfirm: '撤销此合作？各方将不能再依此运行任何任务，并会通知其他各方。', reason: '原因', terms: '提议的条款', effective: '最严格结果（生效条款）', partyConstraints: '各方设定的约束', budget: '隐私预算',
    forbidden: '您的角色无权查看此页面。', error: '错误', loading: '加载中…', language: 'English',
  },
} as const;

export type Language = keyof typeof words;
export type Word = keyof (typeof words)['en'];

let language: Language = (localStorage.getItem('accord.language') as Language | null) ?? (navigator.language.startsWith('zh') ? 'zh-CN' : 'en');
export const currentLanguage = () => language;
export function setLanguage(next: Language) {
  language = next;
  localStorage.setItem('accord.language', next);
  document.documentElement.lang = next;
}
export const t = (word: Word): string => words[language][word];
