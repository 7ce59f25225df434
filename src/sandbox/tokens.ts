import { randomBytes } from 'node:crypto';

/** A fresh admin token, unguessable so the control API stays out of reach of API clients. */
export function newAdminToken(): string {
  return `sandbox-admin-${randomBytes(18).toString('hex')}`;
}

/** The admin token must never double as an API token. */
export function assertDistinctAdminToken(adminToken: string, apiTokens: readonly string[]): void {
  if (apiTokens.includes(adminToken))
    throw new Error('[sandbox] the admin token must differ from every API token');
  if (apiTokens.length === 0) throw new Error('[sandbox] at least one API token is needed');
}
