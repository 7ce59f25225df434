// Scheduled drift check (ENVSYNC_SCHEDULE documents how to change @hourly): reads only.
import type { Config, Context } from '@netlify/functions';
import { apiDeps } from '../../src/api/index.ts';
import { runScheduledCheck } from '../../src/api/scheduled.ts';

export default async (_request: Request, context: Context): Promise<Response> =>
  Response.json(await runScheduledCheck(await apiDeps(), context));

export const config: Config = { schedule: '@hourly' };
