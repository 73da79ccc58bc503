import { z } from 'zod';

/** `?includeArchived=true` on listings of things that can be archived (tags, segments). */
export const includeArchivedQuery = z.object({ includeArchived: z.enum(['true', 'false']).transform((value) => value === 'true').default(false) });
