/**
 * What each console role may do, as API scopes: a session holds scopes like a key, so the API
 * enforces a role exactly as it enforces a key's scopes, whatever the pages show or hide.
 */
import { grants, type Scope } from './scopes.ts';

export const consoleRoles = ['privacy_officer', 'marketer', 'admin'] as const;
export type ConsoleRole = (typeof consoleRoles)[number];

export const roleScopes: Record<ConsoleRole, readonly Scope[]> = {
  privacy_officer: ['consent:read', 'consent:write', 'privacy:admin', 'records:read', 'audit:read', 'jobs:read', 'collaborations:read', 'collaborations:approve'],
  marketer: ['data:read', 'data:write', 'tags:read', 'tags:write', 'segments:read', 'segments:write', 'psi:run', 'psi:read', 'collaborations:read', 'collaborations:write', 'jobs:read', 'consent:read'],
  admin: ['admin'],
};

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
