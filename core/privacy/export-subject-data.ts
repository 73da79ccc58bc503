/**
 * The access export as a stream of JSON text: a header, then one array per section
 * (subject-export-sections.ts), written page by page. Concatenated, the chunks are one JSON document:
 *   {"format": "accord.subject-export.v1", "generatedAt": ..., "subject": ..., "request": {...},
 *    "consentEvents": [...], "consentState": [...], ...}
 * Pages are read in separate transactions: a consent recorded while the export runs may or may not
 * appear, but nothing appears twice or out of order.
 */
import type { ExportSection, InTenant } from './subject-export-sections.ts';

export const SUBJECT_EXPORT_FORMAT = 'accord.subject-export.v1';

export async function* exportSubjectData(
  inTenant: InTenant,
  sections: readonly ExportSection[],
  subject: string,
  header: Record<string, unknown>,
  now = new Date(),
): AsyncGenerator<string> {
  const head = JSON.stringify({ format: SUBJECT_EXPORT_FORMAT, generatedAt: now, subject, ...header });
  yield head.slice(0, -1);
  for (const section of sections) {
    yield `,${JSON.stringify(section.name)}:[`;
    let first = true;
    for await (const page of section.pages(inTenant, subject)) {
      yield (first ? '' : ',') + page.map((item) => JSON.stringify(item)).join(',');
      first = false;
    }
    yield ']';
  }
  yield '}';
}
