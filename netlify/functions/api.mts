// The HTTP API: /api/history, /api/plan, /api/sync, /api/hooks/render… (routes in src/api/).
import type { Config, Context } from '@netlify/functions';
import { handleApi } from '../../src/api/index.ts';

export default (request: Request, context: Context): Promise<Response> =>
  handleApi(request, undefined, context);

export const config: Config = { path: '/api/*' };
