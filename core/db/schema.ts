/** Row types of every table, as kysely sees them. Migrations are the source of truth. */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json = ColumnType<unknown, string, string>;

export interface NodeTable {
  singleton: Generated<boolean>;
  id: string;
  party_name: string;
  public_key: Uint8Array;
  private_key_sealed: Uint8Array;
  created_at: CreatedAt;
}

export interface TenantTable {
  id: Generated<string>;
  slug: string;
  name: string;
  created_at: CreatedAt;
}

export interface TenantSettingsTable {
  tenant_id: string;
  first_party_regime: 'pipl' | 'gdpr' | 'ccpa';
  updated_at: Generated<Date>;
}

export interface ApiKeyTable {
  id: string;
  tenant_id: string;
  name: string;
  scopes: string[];
  secret_hash: Uint8Array;
  created_at: CreatedAt;
  revoked_at: Date | null;
}

export interface ConsoleUserTable {
  tenant_id: string;
  id: Generated<string>;
  email: string;
  display_name: string;
  role: 'privacy_officer' | 'marketer' | 'admin';
  password_hash: string;
  created_by: string;
  created_at: CreatedAt;
  disabled_at: Date | null;
}

export interface ConsoleSessionTable {
  id: string;
  tenant_id: string;
  secret_hash: Uint8Array;
  role: 'privacy_officer' | 'marketer' | 'admin';
  scopes: string[];
  actor: string;
  api_key_id: string | null;
  created_at: CreatedAt;
  expires_at: Date;
  ended_at: Date | null;
}

export interface PeerTable {
  id: Generated<string>;
  tenant_id: string;
  node_id: string;
  name: string;
  base_url: string;
  public_key: Uint8Array;
  created_at: CreatedAt;
}

export interface AuditEventTable {
  id: Generated<number>;
  tenant_id: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: Json;
  occurred_at: CreatedAt;
}

export interface ProcessingRecordTable {
  id: Generated<string>;
  tenant_id: string;
  activity: string;
  purpose: string;
  collaboration_id: string | null;
  actor: string;
  subjects_in: number;
  subjects_out: number;
  started_at: Date;
  finished_at: Date;
  details: Json;
}

export type JobStatus = 'pending' | 'dispatched' | 'running' | 'completed' | 'failed';

export interface JobTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  payload: Json;
  status: Generated<JobStatus>;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: Generated<Date>;
  locked_by: string | null;
  locked_at: Date | null;
  last_error: string | null;
  created_at: CreatedAt;
  finished_at: Date | null;
}

export interface IdempotencyKeyTable {
  tenant_id: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: string | null;
  /** Updatable: an expired key is reclaimed in place. */
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ConsentPurposeTable {
  tenant_id: string;
  key: string;
  name: string;
  mechanism: 'opt_in' | 'opt_out' | 'notice_only';
  legal_basis: Json;
  retention_days: number | null;
  sensitive_category: string | null;
  requires_named_recipient: boolean;
  cross_border: boolean;
  public_disclosure: boolean;
  created_at: CreatedAt;
}

export interface ConsentNoticeTable {
  id: Generated<string>;
  tenant_id: string;
  notice_key: string;
  version: number;
  language: string;
  content_hash: Uint8Array;
  purposes: string[];
  recipients: string[];
  data_categories: string[];
  created_at: CreatedAt;
  disabled_at: Date | null;
}

export interface ConsentEventTable {
  tenant_id: string;
  seq: number;
  client_event_id: string;
  subject: string;
  purpose: string;
  recipient: string;
  regime: string;
  kind: string;
  notice_id: string | null;
  channel: string;
  source: string;
  evidence: Json;
  collected_at: Date;
  received_at: Date;
  link: Uint8Array;
}

export interface ConsentChainHeadTable {
  tenant_id: string;
  seq: number;
  link: Uint8Array;
}

export interface ConsentSubjectTable {
  tenant_id: string;
  subject: string;
  key: Generated<number>;
}

export interface ConsentStateTable {
  tenant_id: string;
  subject: string;
  subject_key: number;
  purpose: string;
  recipient: string;
  regime: string;
  granted: boolean;
  decided_by_seq: number;
  decided_kind: string;
  decided_at: Date;
  expires_at: Date | null;
}

export interface ConsentCheckpointTable {
  tenant_id: string;
  tree_size: number;
  root_hash: Uint8Array;
  body: Uint8Array;
  signature: Uint8Array;
  signed_at: Date;
}

export interface SubjectKeyTable {
  tenant_id: string;
  subject: string;
  key_sealed: Uint8Array;
  created_at: CreatedAt;
}

export interface SubjectPersonalDataTable {
  tenant_id: string;
  subject: string;
  field: string;
  value_sealed: Uint8Array;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface PrivacyRequestTable {
  id: Generated<string>;
  tenant_id: string;
  kind: string;
  regime: string;
  subject: string;
  status: Generated<string>;
  received_at: Date;
  due_at: Date;
  extended: Generated<boolean>;
  verification_method: string | null;
  verification_reference: string | null;
  closed_at: Date | null;
  created_at: CreatedAt;
}

export interface PrivacyRequestTrailTable {
  id: Generated<number>;
  tenant_id: string;
  request_id: string;
  actor: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  details: Json;
  occurred_at: CreatedAt;
}

// 0019 erasure of derived stores (core/privacy/): how far a request's removal from each store got.
export interface PrivacyRequestRemovalTable {
  tenant_id: string;
  request_id: string;
  store: string;
  status: 'done' | 'queued' | 'failed';
  removed: number;
  updated_at: Generated<Date>;
}

export interface SuppressionTombstoneTable {
  tenant_id: string;
  hash: Uint8Array;
  kind: string;
  request_id: string | null;
  created_at: CreatedAt;
}

export interface SubjectDisclosureTable {
  id: Generated<number>;
  tenant_id: string;
  subject: string;
  recipient: string;
  purpose: string;
  reference: string;
  disclosed_at: Date;
}

export interface ConsentSignalMappingVersionTable {
  tenant_id: string;
  version: number;
  published_by: string;
  published_at: CreatedAt;
}

export interface ConsentSignalMappingTable {
  tenant_id: string;
  version: number;
  purpose: string;
  recipient: string;
  tcf_purposes: number[];
  tcf_vendor_id: number | null;
  gpp_usnat: string[];
  google_consent_mode: string[];
  dpv_purpose: string | null;
}

export interface ConsentSignalTable {
  id: Generated<string>;
  tenant_id: string;
  fingerprint: Uint8Array;
  subject: string;
  regime: string;
  kind: string;
  raw: string;
  decoded: Json;
  verdict: Json;
  mapping_version: number;
  source: string;
  collected_at: Date;
  received_at: Date;
}

export interface ConsentPreferenceChangeTable {
  tenant_id: string;
  seq: Generated<number>;
  client_change_id: string;
  subject: string;
  mode: 'replace' | 'merge';
  patch: Json;
  actor: string;
  channel: string;
  source: string;
  collected_at: Date;
  received_at: Date;
}

export interface ConsentPreferencesTable {
  tenant_id: string;
  subject: string;
  state: Json;
  updated_by_seq: number;
  updated_at: Date;
}

export interface ConsentContactLogTable {
  tenant_id: string;
  client_send_id: string;
  subject: string;
  channel: string;
  topic: string | null;
  sent_at: Date;
  received_at: Date;
}

export interface ConsentNoticeImpressionTable {
  tenant_id: string;
  client_impression_id: string;
  notice_id: string;
  purposes: string[];
  channel: string;
  served_at: Date;
  received_at: Date;
}

export interface ConsentImportTable {
  id: Generated<string>;
  tenant_id: string;
  content_hash: Uint8Array;
  format: 'csv' | 'ndjson';
  encoding: 'utf-8' | 'gb18030';
  time_zone: string | null;
  mode: 'strict' | 'lenient';
  dry_run: boolean;
  status: 'running' | 'completed' | 'failed';
  rows_read: Generated<number>;
  last_committed_row: Generated<number>;
  appended: Generated<number>;
  duplicates: Generated<number>;
  skipped: Generated<number>;
  conflicts: Generated<number>;
  unchanged: Generated<number>;
  error: Json | null;
  created_by: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: Date | null;
}

export interface ConsentImportIssueTable {
  id: Generated<number>;
  tenant_id: string;
  import_id: string;
  row: number;
  line: number | null;
  column_number: number | null;
  field: string | null;
  severity: 'error' | 'warning';
  reason: string;
  detail: string;
  client_event_id: string | null;
}

export interface PersonTable {
  tenant_id: string;
  id: Generated<number>;
  subject: Generated<string>;
  created_at: CreatedAt;
  merged_into: number | null;
}

export interface IdentityLinkTable {
  tenant_id: string;
  identifier_id: number;
  identifier_type: string;
  person_id: number;
  linked_at: CreatedAt;
}

export interface IdentityNoMergeTable {
  tenant_id: string;
  identifier_id: number;
  reason: 'fan_out' | 'marked';
  note: string | null;
  marked_by: string;
  marked_at: CreatedAt;
}

export interface IdentityCooccurrenceTable {
  tenant_id: string;
  shared_id: number;
  primary_id: number;
}

export interface IdentitySeparationTable {
  tenant_id: string;
  person_id: number;
  other_person_id: number;
  split_event_id: number;
}

export interface IdentityEventTable {
  tenant_id: string;
  id: Generated<number>;
  kind: 'merge' | 'split' | 'blocked' | 'marked';
  person_id: number | null;
  other_person_id: number | null;
  identifier_ids: number[];
  reason: string | null;
  actor: string | null;
  details: Json;
  dedupe_key: string | null;
  occurred_at: CreatedAt;
}

export interface IdentifierTable {
  id: Generated<number>;
  tenant_id: string;
  type: string;
  /** '' for types without a scope. */
  scope: string;
  lookup_hash: Uint8Array;
  value_sealed: Uint8Array | null;
  declared_hash: string | null;
  created_at: CreatedAt;
}

export interface PersonAttributeTable {
  tenant_id: string;
  person_id: number;
  key: string;
  value: Json;
  source: string;
  observed_at: Date;
}

export interface OrderTable {
  tenant_id: string;
  id: Generated<number>;
  external_id: string;
  person_id: number;
  placed_at: Date;
  channel: string;
  status: 'paid' | 'refunded' | 'cancelled';
  currency: string;
  /** numeric(14,2) arrives as a string; write strings too, so no float rounding. */
  amount: string;
}

export interface OrderItemTable {
  tenant_id: string;
  order_id: number;
  line: number;
  sku: string;
  category: string | null;
  quantity: number;
  amount: string;
}

export interface BehaviourEventTable {
  tenant_id: string;
  id: Generated<number>;
  external_id: string;
  person_id: number;
  type: string;
  occurred_at: Date;
  channel: string;
  properties: ColumnType<unknown, string | undefined, string>;
}

// 0011 ingest runs (core/ingest/):
export interface IngestRunTable {
  id: Generated<string>;
  tenant_id: string;
  kind: 'members' | 'orders' | 'events';
  content_hash: Uint8Array;
  format: 'csv' | 'ndjson' | 'json';
  encoding: 'utf-8' | 'gb18030';
  mode: 'strict' | 'lenient';
  status: 'queued' | 'running' | 'completed' | 'failed';
  bytes: ColumnType<number, number | undefined, number>;
  rows_read: Generated<number>;
  applied: Generated<number>;
  rejected: Generated<number>;
  persons_created: Generated<number>;
  persons_merged: Generated<number>;
  last_committed_row: Generated<number>;
  error: Json | null;
  created_by: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: Date | null;
  /** 0020: the stored file (ingest_upload_parts) the run's job reads; null for batches and CLI runs. */
  upload_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** 0020: an uploaded ingest file, kept in parts until its run ends. */
export interface IngestUploadPartTable {
  tenant_id: string;
  upload_id: string;
  part: number;
  body: Uint8Array;
  created_at: CreatedAt;
}

export interface IngestRunIssueTable {
  id: Generated<number>;
  tenant_id: string;
  run_id: string;
  row: number;
  line: number | null;
  column_number: number | null;
  field: string | null;
  reason: string;
  detail: string;
}

export interface TagDefinitionTable {
  tenant_id: string;
  key: string;
  kind: 'static' | 'rule' | 'sql';
  value_type: 'boolean' | 'number' | 'text';
  multi_valued: boolean;
  description: string;
  owner: string;
  query: string | null;
  rule: Json | null;
  schedule_seconds: number | null;
  last_computed_at: Date | null;
  last_error: Json | null;
  created_by: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  // 0023:
  archived_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface TagValueTable {
  tenant_id: string;
  tag_key: string;
  person_id: number;
  value: Json;
  source: string;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

// 0012 segments (core/segments/):
export interface SegmentTable {
  tenant_id: string;
  id: Generated<number>;
  name: string;
  kind: 'static' | 'dynamic' | 'imported';
  rule: Json | null;
  schedule_seconds: number | null;
  member_count: Generated<number>;
  import_report: Json | null;
  last_refresh_id: number | null;
  last_refreshed_at: Date | null;
  created_by: string;
  created_at: CreatedAt;
  // 0023:
  archived_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface SegmentMemberTable {
  tenant_id: string;
  segment_id: number;
  person_id: number;
}

export interface SegmentRefreshTable {
  tenant_id: string;
  id: Generated<number>;
  segment_id: number;
  trigger: string;
  added: number;
  removed: number;
  member_count: number;
  refreshed_at: CreatedAt;
}

export interface SegmentMembershipChangeTable {
  tenant_id: string;
  refresh_id: number;
  segment_id: number;
  person_id: number;
  change: 'add' | 'remove';
}

export interface PsiRunTable {
  tenant_id: string;
  id: string;
  collaboration_id: string;
  role: 'client' | 'server';
  peer_node_id: string;
  suite: string;
  mode: ColumnType<PsiRunMode, PsiRunMode | undefined, PsiRunMode>;
  id_types: string[];
  segment_id: number | null;
  status: 'preparing' | 'ready' | 'running' | 'finished' | 'failed';
  client_learns_members: boolean;
  server_learns_members: boolean;
  declared: ColumnType<Record<string, number>, string | undefined, string>;
  progress: ColumnType<Record<string, unknown>, string | undefined, string>;
  result: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  error: string | null;
  key_sealed: Uint8Array | null;
  started_by: string;
  created_at: Generated<Date>;
  finished_at: Date | null;
}

export interface PsiRunFrameTable {
  tenant_id: string;
  run_id: string;
  id_type: string;
  stream: string;
  seq: number;
  body: Uint8Array;
}

export type PsiRunMode = 'balanced' | 'unbalanced' | 'payload';

export interface PsiMatchPayloadTable {
  tenant_id: string;
  run_id: string;
  person_id: number;
  payload: ColumnType<Record<string, unknown>, string, string>;
}

export interface PsiKeyEpochTable {
  tenant_id: string;
  id: string;
  collaboration_id: string;
  peer_node_id: string;
  key_sealed: Uint8Array;
  created_at: Generated<Date>;
  expires_at: Date;
}

export interface PsiEpochSetTable {
  tenant_id: string;
  epoch_id: string;
  id_type: string;
  seq: number;
  fingerprints: Uint8Array;
  elements: Uint8Array;
}

export interface PsiMatchTable {
  tenant_id: string;
  run_id: string;
  person_id: number;
  id_type: string;
}

// 0014 output guard (core/guard/):
export interface GuardDecisionTable {
  tenant_id: string;
  id: Generated<number>;
  collaboration_id: string;
  run_id: string;
  stage: 'admit' | 'input' | 'counts' | 'members';
  outcome: 'admitted' | 'refused' | 'released' | 'withheld';
  reason: string | null;
  epsilon_micros: Generated<number>;
  details: Json;
  decided_at: CreatedAt;
}

export interface CollaborationTable {
  tenant_id: string;
  id: string;
  terms: ColumnType<unknown, string, never>;
  terms_hash: Uint8Array;
  origin_node_id: string;
  created_by: string;
  created_at: CreatedAt;
}

export interface CollaborationApprovalTable {
  tenant_id: string;
  collaboration_id: string;
  node_id: string;
  constraints: ColumnType<unknown, string, never>;
  signature: Uint8Array;
  approved_by: string;
  recorded_at: CreatedAt;
}

export interface CollaborationRevocationTable {
  tenant_id: string;
  collaboration_id: string;
  node_id: string;
  reason: string;
  revoked_at: Date;
  signature: Uint8Array;
  revoked_by: string;
  recorded_at: CreatedAt;
}

export interface CollaborationDeliveryTable {
  tenant_id: string;
  id: Generated<number>;
  collaboration_id: string;
  to_node_id: string;
  kind: 'approval' | 'revocation';
  status: Generated<'pending' | 'delivered'>;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: CreatedAt;
  delivered_at: Date | null;
}

export interface NodeRequestNonceTable {
  node_id: string;
  nonce: string;
  seen_at: CreatedAt;
}

// 0022 federated scoring:
export interface ScoringModelTable {
  tenant_id: string;
  id: string;
  collaboration_id: string;
  role: 'brand' | 'provider';
  peer_node_id: string;
  spec: Json;
  approvals: ColumnType<unknown, string | undefined, string>;
  status: 'proposed' | 'approved' | 'training' | 'trained' | 'failed';
  row_persons: ColumnType<unknown, string | null | undefined, string | null>;
  secrets_sealed: Buffer | null;
  checkpoint: ColumnType<unknown, string | null | undefined, string | null>;
  progress: ColumnType<unknown, string | undefined, string>;
  model: ColumnType<unknown, string | null | undefined, string | null>;
  error: string | null;
  created_by: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ScoringMessageTable {
  tenant_id: string;
  model_id: string;
  direction: 'in' | 'out';
  kind: string;
  step: number;
  digest: string;
  bytes: Buffer;
  delivered_at: Date | null;
  created_at: CreatedAt;
}

export interface ScoringReleaseTable {
  tenant_id: string;
  model_id: string;
  person_id: number | string;
  releases: number;
}

export interface ScoringLookalikeTable {
  tenant_id: string;
  id: string;
  model_id: string;
  sizes: Json;
  report: Json;
  created_by: string;
  created_at: CreatedAt;
}

export interface ScoringLookalikeMemberTable {
  tenant_id: string;
  lookalike_id: string;
  rank: number;
  person_id: number | string;
}

// 0021 activation tables:
export type ActivationState = 'planned' | 'uploading' | 'processing' | 'done' | 'partial' | 'failed';

export interface ActivationDestinationTable {
  id: Generated<number>;
  tenant_id: string;
  platform: string;
  connector: string;
  name: string;
  account_id: string;
  credentials_sealed: Uint8Array;
  status: Generated<'active' | 'disabled'>;
  created_at: CreatedAt;
  disabled_at: Date | null;
}

export interface ActivationSyncTable {
  id: Generated<number>;
  tenant_id: string;
  name: string;
  audience_kind: 'segment' | 'psi_matches';
  segment_id: number | null;
  psi_run_id: string | null;
  purpose: string;
  regime: string;
  schedule_seconds: number | null;
  status: Generated<'active' | 'disabled'>;
  created_at: CreatedAt;
}

export interface ActivationSyncDestinationTable {
  tenant_id: string;
  sync_id: number;
  destination_id: number;
  id_types: Json;
  platform_audience: Json | null;
}

export interface ActivationRunTable {
  id: Generated<number>;
  tenant_id: string;
  sync_id: number;
  trigger: 'manual' | 'schedule';
  state: ActivationState;
  actor: string;
  error: string | null;
  created_at: CreatedAt;
  finished_at: Date | null;
}

export interface ActivationRunDestinationTable {
  tenant_id: string;
  run_id: number;
  destination_id: number;
  state: ActivationState;
  planned_adds: Generated<number>;
  planned_removes: Generated<number>;
  added: Generated<number>;
  removed: Generated<number>;
  consent_excluded: Generated<number>;
  dead_lettered: Generated<number>;
  kept_min_size: Generated<number>;
  pending_chunks: Generated<number>;
  requests: Generated<number>;
  receipts: ColumnType<unknown, string | undefined, string>;
  done_chunks: ColumnType<unknown, string | undefined, string>;
  match: Json | null;
  error: string | null;
}

export interface ActivationMemberTable {
  tenant_id: string;
  sync_id: number;
  destination_id: number;
  person_id: number;
  state: 'present' | 'removing' | 'kept' | 'removed';
  ids_sealed: Uint8Array | null;
  added_run_id: number | null;
  added_at: CreatedAt;
  removal_reason: 'audience' | 'withdrawal' | 'erasure' | null;
  removal_request_id: string | null;
  removed_at: Date | null;
}

export interface ActivationDeadLetterTable {
  id: Generated<number>;
  tenant_id: string;
  run_id: number | null;
  sync_id: number;
  destination_id: number;
  person_id: number;
  op: 'add' | 'remove' | 'replace';
  reason: string;
  detail: Generated<string>;
  created_at: CreatedAt;
}

export interface Database {
  node: NodeTable;
  tenants: TenantTable;
  // 0018:
  tenant_settings: TenantSettingsTable;
  api_keys: ApiKeyTable;
  // 0023:
  console_users: ConsoleUserTable;
  // 0025:
  console_sessions: ConsoleSessionTable;
  peers: PeerTable;
  audit_events: AuditEventTable;
  processing_records: ProcessingRecordTable;
  jobs: JobTable;
  idempotency_keys: IdempotencyKeyTable;
  consent_purposes: ConsentPurposeTable;
  consent_notices: ConsentNoticeTable;
  consent_events: ConsentEventTable;
  consent_chain_heads: ConsentChainHeadTable;
  consent_subjects: ConsentSubjectTable;
  consent_state: ConsentStateTable;
  consent_checkpoints: ConsentCheckpointTable;
  // 0003 preference and consent-rate tables:
  consent_preference_changes: ConsentPreferenceChangeTable;
  consent_preferences: ConsentPreferencesTable;
  consent_contact_log: ConsentContactLogTable;
  consent_notice_impressions: ConsentNoticeImpressionTable;
  // 0004 privacy request tables:
  subject_keys: SubjectKeyTable;
  subject_personal_data: SubjectPersonalDataTable;
  privacy_requests: PrivacyRequestTable;
  privacy_request_trail: PrivacyRequestTrailTable;
  privacy_request_removals: PrivacyRequestRemovalTable;
  suppression_tombstones: SuppressionTombstoneTable;
  subject_disclosures: SubjectDisclosureTable;
  // 0005 import tables:
  consent_imports: ConsentImportTable;
  consent_import_issues: ConsentImportIssueTable;
  // 0006 signal tables:
  consent_signal_mapping_versions: ConsentSignalMappingVersionTable;
  consent_signal_mappings: ConsentSignalMappingTable;
  consent_signals: ConsentSignalTable;
  // 0007 identifier tables:
  identifiers: IdentifierTable;
  // 0008 person and identity-graph tables:
  // 0009 profile tables:
  person_attributes: PersonAttributeTable;
  orders: OrderTable;
  order_items: OrderItemTable;
  behaviour_events: BehaviourEventTable;
  // 0010 tag tables:
  persons: PersonTable;
  identity_links: IdentityLinkTable;
  identity_no_merge: IdentityNoMergeTable;
  identity_cooccurrence: IdentityCooccurrenceTable;
  identity_separations: IdentitySeparationTable;
  identity_events: IdentityEventTable;
  tag_definitions: TagDefinitionTable;
  tag_values: TagValueTable;
  // 0011 ingest run tables:
  ingest_runs: IngestRunTable;
  ingest_run_issues: IngestRunIssueTable;
  ingest_upload_parts: IngestUploadPartTable;
  // 0012 segment tables:
  segments: SegmentTable;
  segment_members: SegmentMemberTable;
  segment_refreshes: SegmentRefreshTable;
  segment_membership_changes: SegmentMembershipChangeTable;
  // 0013 collaboration tables:
  collaborations: CollaborationTable;
  collaboration_approvals: CollaborationApprovalTable;
  collaboration_revocations: CollaborationRevocationTable;
  collaboration_deliveries: CollaborationDeliveryTable;
  node_request_nonces: NodeRequestNonceTable;
  psi_runs: PsiRunTable;
  psi_run_frames: PsiRunFrameTable;
  psi_matches: PsiMatchTable;
  psi_match_payloads: PsiMatchPayloadTable;
  psi_key_epochs: PsiKeyEpochTable;
  psi_epoch_sets: PsiEpochSetTable;
  // 0014 output guard tables:
  guard_decisions: GuardDecisionTable;
  // 0022:
  scoring_models: ScoringModelTable;
  scoring_messages: ScoringMessageTable;
  scoring_releases: ScoringReleaseTable;
  scoring_lookalikes: ScoringLookalikeTable;
  scoring_lookalike_members: ScoringLookalikeMemberTable;
  // 0021 activation tables:
  activation_destinations: ActivationDestinationTable;
  activation_syncs: ActivationSyncTable;
  activation_sync_destinations: ActivationSyncDestinationTable;
  activation_runs: ActivationRunTable;
  activation_run_destinations: ActivationRunDestinationTable;
  activation_members: ActivationMemberTable;
  activation_dead_letters: ActivationDeadLetterTable;
}

export type Peer = Selectable<PeerTable>;
export type Job = Selectable<JobTable>;
export type NewProcessingRecord = Omit<Insertable<ProcessingRecordTable>, 'tenant_id' | 'details'> & {
  details?: Record<string, unknown>;
};
