/** Errors that stop a consent import; the API maps the codes to HTTP statuses in api/errors.ts. */
import { CodedError } from '../../errors.ts';

export const importErrorCodes = {
  ACCORD_ERR_IMPORT_ROW: 'A row of the import is invalid',
  ACCORD_ERR_IMPORT_HEADER: 'The header of the import is invalid',
  ACCORD_ERR_IMPORT_OPTIONS: 'This file was imported with other options',
  ACCORD_ERR_IMPORT_LINE_TOO_LONG: 'A line or record of the file is longer than allowed',
} as const;

export type ImportErrorCode = keyof typeof importErrorCodes;

export class ImportError extends CodedError<ImportErrorCode> {}
