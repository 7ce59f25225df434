// The HTTP API: /api/history, /api/plan, /api/sync, /api/hooks/render… (routes in src/api/).
import type { Config } from '@netlify/functions';
import { handleApi } from '../../src/api/index.ts';

export default (request: Request): Promise<Response> => handleApi(request);

export const config: Config = { path: '/api/*' };
