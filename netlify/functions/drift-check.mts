// Scheduled drift check (ENVSYNC_SCHEDULE documents how to change @hourly): reads only.
import type { Config } from '@netlify/functions';
import { apiDeps } from '../../src/api/index.ts';
import { scheduledDriftCheck } from '../../src/api/scheduled.ts';

export default async (): Promise<Response> => {
  const result = await scheduledDriftCheck(await apiDeps());
  return Response.json(result);
};

export const config: Config = { schedule: '@hourly' };
