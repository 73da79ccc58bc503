/** The Trade Desk CRM Data API details the reference marks 🟡/❓, read by the connector and the contract server alike. */
export interface TtdAssumptions {
  /** PiiType per id type: EmailHashedUnifiedId2 is 🟡; the phone name is ❓. */
  readonly piiTypes: Readonly<Record<'email' | 'phone', string>>;
  /** Fewest records a drop takes (🟡: the legacy flow refused fewer than 1,500). */
  readonly minimumRecords: number;
  /** Body fields of segment creation (❓ not in the reference). */
  readonly createFields: { readonly advertiser: string; readonly name: string };
  /** Gmail "+suffix" removal before hashing (UID2 rule, 🟡). */
  readonly gmailPlusSuffix: boolean;
}

export const ttdAssumptions: TtdAssumptions = {
  piiTypes: { email: 'EmailHashedUnifiedId2', phone: 'PhoneNumberHashedUnifiedId2' },
  minimumRecords: 1500,
  createFields: { advertiser: 'AdvertiserId', name: 'SegmentName' },
  gmailPlusSuffix: true,
};
