// Scheduled drift check (change the schedule in `config` below): reads only.
import type { Config, Context } from '@netlify/functions';
import { apiDeps } from '../../src/api/index.ts';
import { runScheduledCheck, scheduledSummary } from '../../src/api/scheduled.ts';

export default async (_request: Request, context: Context): Promise<Response> => {
  const outcome = await runScheduledCheck(await apiDeps(), context);
  // netlify-cli shows a scheduled function's log, not its body: this line says what it did.
  // eslint-disable-next-line no-console -- the log is this function's only visible output
  console.log(scheduledSummary(outcome));
  return Response.json(outcome);
};

export const config: Config = { schedule: '@hourly' };
