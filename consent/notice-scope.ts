/**
 * What a notice version discloses: purposes, named recipients and data categories. A later version
 * that adds to any of them is a material change (PIPL Art. 14 and 23: new processing needs new
 * consent), so consents given under the earlier text no longer cover what is now done.
 */
export interface NoticeScope {
  readonly purposes: readonly string[];
  readonly recipients: readonly string[];
  readonly dataCategories: readonly string[];
}

/** What `later` discloses that `earlier` did not, e.g. ['recipient:ocean-engine']; empty when nothing. */
export function scopeAdditions(earlier: NoticeScope, later: NoticeScope): string[] {
  const added = (kind: string, before: readonly string[], after: readonly string[]) =>
    after.filter((item) => !before.includes(item)).map((item) => `${kind}:${item}`);
  return [
    ...added('purpose', earlier.purposes, later.purposes),
    ...added('recipient', earlier.recipients, later.recipients),
    ...added('dataCategory', earlier.dataCategories, later.dataCategories),
  ];
}
