/** Errors that stop a consent import; the API maps the codes to HTTP statuses in api/errors.ts. */
export const importErrorCodes = {
  ACCORD_ERR_IMPORT_ROW: 'A row of the import is invalid',
  ACCORD_ERR_IMPORT_HEADER: 'The header of the import is invalid',
  ACCORD_ERR_IMPORT_OPTIONS: 'This file was imported with other options',
} as const;

export type ImportErrorCode = keyof typeof importErrorCodes;

export class ImportError extends Error {
  constructor(
    readonly code: ImportErrorCode,
    detail: string,
    /** Where it happened (import id, row, line, column, field, reason), sent with the problem. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'ImportError';
  }
}
