/**
 * What each console role may do, as API scopes: a session holds scopes like a key, so the API
 * enforces a role exactly as it enforces a key's scopes, whatever the pages show or hide.
 */
import { consoleRoleScopes as roleScopes, type ConsoleRole } from './console-users.ts';
import { grants, type Scope } from './scopes.ts';

export { consoleRoles, type ConsoleRole } from './console-users.ts';

/** The role's scopes that the credential also holds: a session never gets more than what opened it. */
export function sessionScopes(role: ConsoleRole, held: readonly string[]): Scope[] {
  return roleScopes[role].filter((scope) => grants(held, scope));
}

/** For a sign-in that names no role: admin for an admin key, else the role most of whose scopes the key holds. */
export function defaultRole(held: readonly string[]): ConsoleRole | undefined {
  if (held.includes('admin')) return 'admin';
  const share = (role: ConsoleRole) => sessionScopes(role, held).length / roleScopes[role].length;
  const best = (['privacy_officer', 'marketer'] as const).reduce((a, b) => (share(b) > share(a) ? b : a));
  return share(best) > 0 ? best : undefined;
}
