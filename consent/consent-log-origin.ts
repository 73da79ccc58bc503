/** The name a tenant's consent log carries in its signed checkpoints: binds each tree head to one node and one tenant. */
export const consentLogOrigin = (nodeId: string, tenantId: string) => `accord/${nodeId}/${tenantId}/consent`;
