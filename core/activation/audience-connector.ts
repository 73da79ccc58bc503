/**
 * The port every ad-platform audience connector implements (connectors/<platform>/). It moves
 * prepared members (identifier-profile.ts) into a platform audience in batches; the sync engine
 * plans around `capabilities`: batch sizes, add/remove or replace, whether a bad row fails the
 * batch, minimum sizes. Failures are thrown as ActivationError (activation-errors.ts).
 */
import type { IdentifierProfile, PreparedMember } from './identifier-profile.ts';
import type { RejectedRow } from './activation-errors.ts';
import type { PlatformContext } from './platform-context.ts';

export interface Capabilities {
  /** 'rows': members travel in the request; 'file': a file is uploaded, then referenced. */
  readonly transport: 'rows' | 'file';
  /** How members leave: removal rows, a removal file, or only by replacing the whole audience. */
  readonly removal: 'rows' | 'file' | 'replace';
  /** Most members one upload call takes. */
  readonly maxMembersPerBatch: number;
  readonly maxIdsPerMember?: number | undefined;
  /** Largest upload file the platform takes, in bytes. */
  readonly maxFileBytes?: number | undefined;
  /** 'one': an audience holds a single id type (one file type, one PiiType); 'many': several. */
  readonly idTypesPerAudience: 'one' | 'many';
  /** The platform creates an audience from its first file, so createAudience needs members. */
  readonly createNeedsMembers: boolean;
  /**
   * What the platform does with a bad row, so the engine knows how to isolate it:
   * 'per_row' keeps the rest and names it (UploadOutcome.rejected); 'batch_named' refuses the batch
   * naming it (ACCORD_ERR_PLATFORM_ROWS_REJECTED); 'batch' refuses the batch without saying which
   * (ACCORD_ERR_PLATFORM_REFUSED: split and retry); 'count' keeps the rest and counts it after
   * processing (status valid < received); 'file' fails that file's processing (status failed).
   */
  readonly badRows: 'per_row' | 'batch_named' | 'batch' | 'count' | 'file';
  /** Changes that would leave the audience smaller than this are refused (ACCORD_ERR_AUDIENCE_TOO_SMALL). */
  readonly minimumSize?: number | undefined;
  /** Whether the connector can refresh an expired access token itself. */
  readonly tokenRefresh: boolean;
}

export interface AudienceRef {
  /** The platform's id, as a string: several platforms issue ids above 2^53. */
  readonly id: string;
  readonly name: string;
  readonly idTypes: readonly string[];
  /** What else the connector needs to address the audience later (Amazon's country); the engine stores it as given. */
  readonly extra?: Readonly<Record<string, string>> | undefined;
}

export interface AudienceSpec {
  /** Shown in the platform's UI; cut to the platform's length limit. */
  readonly name: string;
  /** Platform id types the audience will hold, from the connector's profile. */
  readonly idTypes: readonly string[];
  /** The caller's stable id for the audience: Tencent's create is idempotent on it (outer_audience_id); others record it (Amazon externalAudienceId, descriptions). */
  readonly reference: string;
  /** ISO 3166 country the audience is for, where the platform files audiences by country (Amazon). */
  readonly country?: string | undefined;
}

export interface MembershipBatch {
  readonly op: 'add' | 'remove' | 'replace';
  readonly members: readonly PreparedMember[];
  /** Groups the batches of one change (Meta upload sessions): numbered from 1, `last` on the final one. */
  readonly session: { readonly id: string; readonly seq: number; readonly last: boolean };
}

export interface UploadOutcome {
  /** Members the platform took (file platforms: lines sent; validity comes from status()). */
  readonly accepted: number;
  /** Rows the platform refused while keeping the rest, by position in the batch. */
  readonly rejected: readonly RejectedRow[];
  /** What to poll with status() on platforms that process uploads later. */
  readonly receipts: readonly string[];
}

export interface ProcessingStatus {
  readonly state: 'processing' | 'succeeded' | 'failed';
  readonly received?: number | undefined;
  readonly valid?: number | undefined;
  readonly matched?: number | undefined;
  /** Google reports ranges (0.2 to 0.3) instead of counts. */
  readonly matchRate?: { readonly low: number; readonly high: number } | undefined;
  readonly detail?: string | undefined;
}

export interface AudienceConnector {
  readonly platform: string;
  /** Tells two connectors of one platform apart: tiktok (segment API) and tiktok_file (customer file). */
  readonly destination: string;
  readonly capabilities: Capabilities;
  readonly identifiers: IdentifierProfile;
  /** Creates the audience and uploads `first` with it (required when capabilities.createNeedsMembers). */
  createAudience(ctx: PlatformContext, spec: AudienceSpec, first?: MembershipBatch): Promise<{ audience: AudienceRef; outcome?: UploadOutcome }>;
  upload(ctx: PlatformContext, audience: AudienceRef, batch: MembershipBatch): Promise<UploadOutcome>;
  /** Present where uploads are processed later: the state of one receipt. */
  status?(ctx: PlatformContext, audience: AudienceRef, receipt: string): Promise<ProcessingStatus>;
  /** Present where an audience needs a last step before it can be targeted (Ocean Engine: publish, then push). */
  finalize?(ctx: PlatformContext, audience: AudienceRef): Promise<void>;
}
