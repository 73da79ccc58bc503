/**
 * The terms of a collaboration: one JSON document every party signs by its SHA-256 over RFC 8785
 * canonical JSON. The schema is strict and has no defaults or transforms, so a document received
 * from a peer hashes exactly as its author hashed it; defaults are filled in when a proposal is made.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJsonBytes } from '../../crypto/canonical-json.ts';
import { PURPOSE_KEY } from '../../consent/purpose.ts';
import { isPsiIdType } from '../psi/psi-digest.ts';

export const partyRoles = ['brand', 'partner', 'provider'] as const;
export type PartyRole = (typeof partyRoles)[number];

export const psiSuites = ['ristretto255', 'x25519-elligator2'] as const;

/** A timestamp as Date#toISOString writes it, so equal instants are equal strings. */
export const isoInstant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'an instant as YYYY-MM-DDTHH:MM:SS.sssZ')
  .refine((value) => !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value, 'not a real instant');

export const base64PublicKey = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, '32 bytes in base64');
export const tagKey = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/);
export const idType = z.string().refine(isPsiIdType, 'not an identifier type PSI can match on (email, phone, idfa, oaid, imei, android_id)');

export const party = z.object({ nodeId: z.uuid(), publicKey: base64PublicKey, role: z.enum(partyRoles) }).strict();

export const noise = z
  .object({ epsilonPerRun: z.number().positive().max(10), totalEpsilon: z.number().positive().max(100) })
  .strict()
  .refine((n) => n.epsilonPerRun <= n.totalEpsilon, 'epsilonPerRun cannot exceed totalEpsilon');

export const tagEnrichment = z.object({ tags: z.array(tagKey).min(1).max(100) }).strict();

const unique = (items: readonly string[]) => new Set(items).size === items.length;

export const collaborationTermsSchema = z
  .object({
    id: z.uuid(),
    name: z.string().min(1).max(200),
    parties: z.array(party).min(2).max(8),
    purpose: z.string().max(200).regex(PURPOSE_KEY),
    recipients: z.array(z.string().min(1).max(200)).max(50).refine(unique, 'recipients repeat'),
    outputs: z
      .object({ overlapCount: z.literal(true), matchedToBrand: z.boolean(), matchedToPartner: z.boolean(), tagEnrichment: tagEnrichment.nullable() })
      .strict(),
    idTypes: z.array(idType).min(1).max(6).refine(unique, 'idTypes repeat'),
    suite: z.enum(psiSuites),
    minOverlap: z.number().int().min(1).max(1_000_000_000),
    minCellSize: z.number().int().min(1).max(1_000_000_000),
    /** null only with exactCounts: every count then leaves without noise (and with the diff check). */
    noise: noise.nullable(),
    exactCounts: z.literal(true).optional(),
    /** The fewest distinct elements of one identifier type a party's set may hold, as it arrives. */
    minInputSize: z.number().int().min(1).max(1_000_000_000),
    /** How far below its declared size a set may arrive (never above it). */
    declaredSizeTolerance: z.number().min(0).max(0.5),
    runBudget: z.number().int().min(1).max(1_000_000),
    maxRunsPerDay: z.number().int().min(1).max(10_000),
    maxSetSize: z.number().int().min(1).max(1_000_000_000),
    expiresAt: isoInstant,
  })
  .strict()
  .superRefine((terms, ctx) => {
    if (!unique(terms.parties.map((p) => p.nodeId))) ctx.addIssue({ code: 'custom', path: ['parties'], message: 'a node takes part once' });
    if (terms.parties.filter((p) => p.role === 'brand').length !== 1) ctx.addIssue({ code: 'custom', path: ['parties'], message: 'exactly one party is the brand' });
    if (terms.parties.filter((p) => p.role === 'partner').length > 1) ctx.addIssue({ code: 'custom', path: ['parties'], message: 'at most one party is the media partner' });
    if ((terms.noise === null) !== (terms.exactCounts === true)) ctx.addIssue({ code: 'custom', path: ['noise'], message: 'counts carry noise unless the terms say exactCounts: true, and then noise is null' });
    if (terms.minInputSize < terms.minOverlap) ctx.addIssue({ code: 'custom', path: ['minInputSize'], message: 'an input smaller than the minimum overlap could never release anything' });
  });

export type CollaborationTerms = z.output<typeof collaborationTermsSchema>;
export type Party = CollaborationTerms['parties'][number];

/**
 * Defaults of the guard settings a proposal may leave out. Noise by default: ε = 1 per run bounds
 * what one release tells of any one person to a likelihood ratio of e (about 2.7) and costs a
 * standard deviation of about 1.4 per identifier type on a count (±3 per type in 95% of runs),
 * a few percent at the default minimum overlap of 100 and nothing visible at real audience sizes;
 * a budget of 10 stops a collaboration after ten releases, so no sequence of runs can sharpen one
 * person's membership beyond e^10 (basic composition), and a new collaboration, which every
 * party signs again, is needed for more.
 */
export const TERM_DEFAULTS = {
  suite: 'ristretto255',
  minOverlap: 100,
  minCellSize: 100,
  noise: { epsilonPerRun: 1, totalEpsilon: 10 },
  declaredSizeTolerance: 0.05,
  runBudget: 100,
  maxRunsPerDay: 10,
  maxSetSize: 100_000_000,
} as const;

/** The default minimum input: ten times the minimum overlap, so an overlap at the minimum is a tenth of the smaller set. */
export const defaultMinInputSize = (minOverlap: number): number => 10 * minOverlap;

export function termsHash(terms: CollaborationTerms): Uint8Array {
  return new Uint8Array(createHash('sha256').update(canonicalJsonBytes(terms)).digest());
}

export const publicKeyOfParty = (p: Party) => new Uint8Array(Buffer.from(p.publicKey, 'base64'));
