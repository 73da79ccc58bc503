import type { Config } from '../core/config/config.ts';
import { withDatabase } from './with-database.ts';

export async function migrateCommand(config: Config): Promise<void> {
  await withDatabase(config, async (_db, applied) => {
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
  });
}
