/** Every API key scope. `admin` grants all of them. Values are only ever added. */
export const scopes = ['admin', 'peers:read', 'peers:write', 'audit:read', 'records:read', 'jobs:read', 'consent:read', 'consent:write', 'privacy:admin', 'tags:read', 'tags:write', 'data:write', 'data:read', 'segments:read', 'segments:write', 'psi:run', 'psi:read', 'collaborations:read', 'collaborations:write', 'collaborations:approve', 'metrics:read', 'models:read', 'models:write', 'scores:write', 'activation:read', 'activation:write'] as const;

export type Scope = (typeof scopes)[number];

export function isScope(value: string): value is Scope {
  return (scopes as readonly string[]).includes(value);
}

export function grants(held: readonly string[], needed: Scope): boolean {
  return held.includes('admin') || held.includes(needed);
}
