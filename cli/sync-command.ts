/**
 * `accord sync`: activation from the command line, through the same core functions as
 * /v1/destinations and /v1/syncs: connect an ad account (credentials read from a JSON file, sealed,
 * never printed), list destinations, create a sync, preview it (a dry run through the consent gate),
 * start a run (a worker of the node sends it) and show the runs with their per-destination state.
 */
import { parseArgs } from 'node:util';
import { nodeAudienceConnectors } from '../api/audience-connectors.ts';
import { DEFAULT_TENANT } from '../core/tenancy/tenants.ts';
import { regimes, type Regime } from '../consent/consent-event.ts';
import type { Credentials } from '../core/activation/credentials.ts';
import { createDestination, listDestinations } from '../core/activation/destinations.ts';
import { SyncEngine } from '../core/activation/send-chunk.ts';
import { previewSync } from '../core/activation/sync-preview.ts';
import { listRuns, startRun } from '../core/activation/sync-runs.ts';
import { createSync } from '../core/activation/syncs.ts';
import { recordAuditEvent } from '../core/audit/audit-log.ts';
import type { Config } from '../core/config/config.ts';
import type { ConsentGate } from '../core/consent/consent-gate.ts';
import { withTenant, type TenantTransaction } from '../core/db/tenant-scope.ts';
import { resolveMasterKey } from '../core/identity/master-key.ts';
import { usageText, type UsageTopic } from './command-usages.ts';
import { printResult, tableText } from './print-rows.ts';
import { readJsonFile } from './read-json-file.ts';
import { UsageError } from './usage-error.ts';
import { withTenantDatabase } from './with-tenant-database.ts';

const ACTOR = 'cli';
const ID = /^[1-9]\d{0,15}$/;

const options = {
  tenant: { type: 'string', default: DEFAULT_TENANT },
  json: { type: 'boolean', default: false },
  account: { type: 'string' },
  credentials: { type: 'string' },
  name: { type: 'string' },
  segment: { type: 'string' },
  'psi-run': { type: 'string' },
  destination: { type: 'string', multiple: true },
  purpose: { type: 'string' },
  regime: { type: 'string' },
  schedule: { type: 'string' },
} as const;

const idOf = (text: string | undefined, what: string): number => {
  if (!text || !ID.test(text)) throw new UsageError(`${what} is a positive whole number`);
  return Number(text);
};

async function credentialsOf(path: string | undefined): Promise<Credentials> {
  if (!path) throw new UsageError('--credentials <file.json> is required: {"accessToken": "...", "refreshToken": "...", "clientId": "...", "clientSecret": "..."}');
  const value = (await readJsonFile(path)) as Partial<Credentials> | null;
  const text = (key: keyof Credentials) => (typeof value?.[key] === 'string' ? (value[key] as string) : undefined);
  const accessToken = text('accessToken');
  if (!accessToken) throw new UsageError(`${path} names no accessToken`);
  return { accessToken, refreshToken: text('refreshToken'), clientId: text('clientId'), clientSecret: text('clientSecret') };
}

export async function syncCommand(config: Config, gate: ConsentGate, args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options });
  const words = positionals[0] === 'destinations' ? positionals.slice(0, 2).join(' ') : (positionals[0] ?? '');
  const rest = positionals.slice(words.split(' ').length);
  const arity: Record<string, number> = { 'destinations add': 1, 'destinations list': 0, create: 1, preview: 1, run: 1, status: 1 };
  if (!words) return console.log(usageText('sync'));
  if (arity[words] === undefined) throw new UsageError(`unknown sync command "${words}"\n${usageText('sync')}`);
  if (rest.length !== arity[words]) throw new UsageError(usageText(`sync ${words}` as UsageTopic));
  const [arg] = rest as [string];
  const credentials = words === 'destinations add' ? await credentialsOf(values.credentials) : undefined;
  const masterKey = resolveMasterKey(config);
  const connectors = nodeAudienceConnectors(config);
  const engine = new SyncEngine({ connectors, masterKey, gate });

  await withTenantDatabase(config, values.tenant, async (db, tenant) => {
    const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(db, tenant.id, work);
    switch (words) {
      case 'destinations add': {
        if (!values.account) throw new UsageError('--account <ad account or advertiser id> is required');
        const destination = await inTenant(async (trx) => {
          const created = await createDestination(trx, connectors, masterKey, { connector: arg, name: values.name ?? `${arg} ${values.account}`, accountId: values.account!, credentials: credentials! });
          await recordAuditEvent(trx, { actor: ACTOR, action: 'destinations.created', targetType: 'destination', targetId: String(created.id), details: { connector: created.connector, accountId: created.accountId } });
          return created;
        });
        return printResult(values.json, destination, () => tableText([destination], ['id', 'platform', 'connector', 'name', 'accountId', 'status']));
      }
      case 'destinations list': {
        const destinations = await inTenant(listDestinations);
        return printResult(values.json, { destinations }, () => tableText(destinations, ['id', 'platform', 'connector', 'name', 'accountId', 'status']));
      }
      case 'create': {
        if (!values.purpose) throw new UsageError('--purpose <purpose key> is required');
        if (!values.regime || !(regimes as readonly string[]).includes(values.regime)) throw new UsageError(`--regime is one of ${regimes.join(', ')}`);
        if (!values.segment === !values['psi-run']) throw new UsageError('name the audience: --segment <id> or --psi-run <run id>');
        const destinations = (values.destination ?? []).map((d) => ({ id: idOf(d, '--destination') }));
        if (destinations.length === 0) throw new UsageError('--destination <id> is required (repeat it for several)');
        const scheduleSeconds = values.schedule === undefined ? null : idOf(values.schedule, '--schedule');
        const sync = await inTenant((trx) =>
          createSync(trx, connectors, {
            name: arg,
            audience: values.segment ? { kind: 'segment', segmentId: idOf(values.segment, '--segment') } : { kind: 'psi_matches', psiRunId: values['psi-run']! },
            destinations,
            purpose: values.purpose!,
            regime: values.regime as Regime,
            scheduleSeconds,
          }),
        );
        return printResult(values.json, sync, () => tableText([{ id: sync.id, name: sync.name, purpose: sync.purpose, destinations: sync.destinations.map((d) => d.destinationId).join(',') }], ['id', 'name', 'purpose', 'destinations']));
      }
      case 'preview': {
        const destinations = await inTenant((trx) => previewSync(trx, engine, idOf(arg, 'sync id'), ACTOR));
        return printResult(values.json, { destinations }, () =>
          tableText(
            destinations.map((d) => ({ ...d, excluded: d.consentExcluded.noConsent + d.consentExcluded.refused + d.consentExcluded.expired, idTypes: JSON.stringify(d.membersByIdType), rejects: JSON.stringify(d.rejects) })),
            ['destinationId', 'connector', 'audienceMembers', 'consented', 'excluded', 'adds', 'removes', 'onPlatform', 'idTypes', 'rejects'],
          ),
        );
      }
      case 'run': {
        const started = await inTenant((trx) => startRun(trx, idOf(arg, 'sync id'), ACTOR));
        return printResult(values.json, started, () => `run ${started.run.id} ${started.joined ? 'already open: joined' : 'queued'} (${started.run.state}); a worker of the node sends it: accord sync status ${arg}`);
      }
      case 'status': {
        const runs = await inTenant((trx) => listRuns(trx, idOf(arg, 'sync id')));
        const rows = runs.flatMap((run) => run.destinations.map((d) => ({ run: run.id, state: run.state, destination: d.destinationId, destinationState: d.state, added: d.added, removed: d.removed, excluded: d.consentExcluded, deadLettered: d.deadLettered, kept: d.keptForMinimumSize, match: d.match === null ? '' : JSON.stringify(d.match), error: d.error ?? '' })));
        return printResult(values.json, { runs }, () => tableText(rows, ['run', 'state', 'destination', 'destinationState', 'added', 'removed', 'excluded', 'deadLettered', 'kept', 'match', 'error']));
      }
    }
  });
}
