/** Errors of tags and SQL tags; the API maps the codes to HTTP statuses in api/errors.ts. */
import { CodedError } from '../errors.ts';

export const tagErrorCodes = {
  ACCORD_ERR_TAG_VALUE: 'A tag value does not match the tag',
  ACCORD_ERR_TAG_UNKNOWN_PERSON: 'No such person in this tenant',
  ACCORD_ERR_TAG_KIND: 'The tag is not of the kind this needs',
  ACCORD_ERR_TAG_SQL_REFUSED: 'The SQL of the tag is not allowed',
  ACCORD_ERR_TAG_SQL_LIMIT: 'The SQL tag exceeded a limit',
  ACCORD_ERR_TAG_SQL_FAILED: 'The database refused the SQL of the tag',
  ACCORD_ERR_TAG_SQL_RESULT: 'The result of the SQL tag does not fit the tag',
  ACCORD_ERR_TAG_RULE_INVALID: 'The rule of the tag is not valid',
} as const;

export type TagErrorCode = keyof typeof tagErrorCodes;

export class TagError extends CodedError<TagErrorCode> {}
