/**
 * Errors core raises on purpose, each with a stable code. The API maps codes to HTTP statuses in
 * exactly one place (api/plugins/problem-details.ts); other areas add their own catalogues the same way.
 */
export const coreErrorCodes = {
  ACCORD_ERR_NOT_FOUND: 'Not found',
  ACCORD_ERR_CONFLICT: 'Conflict',
  ACCORD_ERR_INVALID_INPUT: 'Invalid input',
} as const;

export type CoreErrorCode = keyof typeof coreErrorCodes;

export class AccordError extends Error {
  constructor(
    readonly code: CoreErrorCode,
    detail: string,
  ) {
    super(detail);
    this.name = 'AccordError';
  }
}

/**
 * An error with a stable code from an area's catalogue and, optionally, details the API sends with
 * the problem (row and column of an import, position in a tag's SQL). Areas subclass it by name.
 */
export class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
    /** `cause`: the failure underneath (a network or file error), kept for `accord --verbose`. */
    options?: ErrorOptions,
  ) {
    super(detail, options);
    this.name = new.target.name;
  }
}

export const notFound = (what: string) => new AccordError('ACCORD_ERR_NOT_FOUND', `${what} not found`);
