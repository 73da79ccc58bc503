/**
 * What the identity graph knows of an identifier: the id of its `identifiers` row (normalised and
 * sealed elsewhere), its type, and for per-app types (a WeChat openid) the app. Equal values in two
 * scopes are two identifiers, so the graph never compares values, only ids.
 */
import { IDENTIFIER_TYPE } from '../../consent/suppression-hash.ts';
import { AccordError } from '../errors.ts';

export interface Identifier {
  readonly id: number;
  readonly type: string;
  readonly scope?: string;
}

export function checkIdentifier(identifier: Identifier, where: string): void {
  if (!Number.isSafeInteger(identifier.id) || identifier.id <= 0) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${where}: identifier id must be a positive integer`);
  if (!IDENTIFIER_TYPE.test(identifier.type)) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${where}: identifier type must be a lower-case name, got ${JSON.stringify(identifier.type)}`);
  if (identifier.scope !== undefined && (typeof identifier.scope !== 'string' || identifier.scope.length === 0 || identifier.scope.length > 200)) {
    throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${where}: identifier scope must be 1-200 characters`);
  }
}
