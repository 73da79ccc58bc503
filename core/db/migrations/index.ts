/** Every migration in order. Names sort by their number; a migration is never edited once released. */
import type { Migration } from 'kysely';
import * as foundation from './0001-foundation.ts';
import * as consentLedger from './0002-consent-ledger.ts';
import * as consentPreferences from './0003-consent-preferences.ts';
import * as privacyRequests from './0004-privacy-requests.ts';
import * as consentImports from './0005-consent-imports.ts';
import * as consentSignals from './0006-consent-signals.ts';
import * as identifiers from './0007-identifiers.ts';
import * as identityGraph from './0008-identity-graph.ts';
import * as profiles from './0009-profiles.ts';
import * as tags from './0010-tags.ts';
import * as ingestRuns from './0011-ingest-runs.ts';
import * as segments from './0012-segments.ts';
import * as collaborations from './0013-collaborations.ts';
import * as outputGuard from './0014-output-guard.ts';
import * as psiRuns from './0015-psi-runs.ts';
import * as ingestSpeed from './0016-ingest-speed.ts';
import * as firstPartyProcessing from './0018-first-party-processing.ts';
import * as erasureOfDerivedStores from './0019-erasure-of-derived-stores.ts';
import * as ingestUploads from './0020-ingest-uploads.ts';
import * as consoleUsersAndArchiving from './0023-console-users-and-archiving.ts';
import * as consoleSessions from './0025-console-sessions.ts';
import * as activation from './0021-activation.ts';
import * as federatedScoring from './0022-federated-scoring.ts';

export const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-consent-ledger': consentLedger,
  '0003-consent-preferences': consentPreferences,
  '0004-privacy-requests': privacyRequests,
  '0005-consent-imports': consentImports,
  '0006-consent-signals': consentSignals,
  '0007-identifiers': identifiers,
  '0008-identity-graph': identityGraph,
  '0009-profiles': profiles,
  '0010-tags': tags,
  '0011-ingest-runs': ingestRuns,
  '0012-segments': segments,
  '0013-collaborations': collaborations,
  '0014-output-guard': outputGuard,
  '0015-psi-runs': psiRuns,
  '0016-ingest-speed': ingestSpeed,
  '0018-first-party-processing': firstPartyProcessing,
  '0019-erasure-of-derived-stores': erasureOfDerivedStores,
  '0020-ingest-uploads': ingestUploads,
  '0021-activation': activation,
  '0022-federated-scoring': federatedScoring,
  '0023-console-users-and-archiving': consoleUsersAndArchiving,
  '0025-console-sessions': consoleSessions,
};
