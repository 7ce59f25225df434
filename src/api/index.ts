/** The HTTP API behind `/api/*`: the route table and the one entry the function door calls. */
import { actionRoutes } from './actions.ts';
import { createApiDeps } from './deps.ts';
import type { ApiDeps, DepsOptions } from './deps.ts';
import { renderWebhookRoute } from './render-webhook.ts';
import { reportRoutes } from './reports.ts';
import { withDeadline } from '../providers/stop.ts';
import { deliverAfterResponse } from '../store/events.ts';
import { SYNC_DOOR_DEADLINE_MS } from './limits.ts';
import { dispatch } from './router.ts';
import type { Route } from './router.ts';

export { SYNC_DOOR_DEADLINE_MS } from './limits.ts';

export const routes: readonly Route[] = [...reportRoutes, ...actionRoutes, renderWebhookRoute];

let shared: Promise<ApiDeps> | undefined;

/** Dependencies are built once per function instance and reused by its invocations. */
export function apiDeps(options?: DepsOptions): Promise<ApiDeps> {
  shared ??= createApiDeps(options).catch((error: unknown) => {
    shared = undefined; // a bad configuration is reported, and retried on the next call
    throw error;
  });
  return shared;
}

/** What the door passes on of Netlify's function context: work that may outlive the response. */
export interface DoorContext {
  readonly waitUntil?: (work: Promise<unknown>) => void;
}

export async function handleApi(
  request: Request,
  options?: DepsOptions,
  context?: DoorContext,
): Promise<Response> {
  let deps: ApiDeps;
  try {
    deps = await apiDeps(options);
  } catch (error) {
    // Our own configuration errors say which variable to fix and carry no values.
    const name = (error as Error).name;
    const message =
      name === 'ConfigError' || name === 'TokenConfigError'
        ? (error as Error).message
        : 'EnvSync is not configured correctly; see the function log.';
    console.error(`[envsync] configuration: ${name}`);
    return new Response(JSON.stringify({ error: { code: 'not_configured', message } }), {
      status: 503,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
  }
  // Event deliveries run after the response: /api/verify and the webhook never wait on a subscriber;
  // provider calls end by the deadline, so the door answers (504) before Netlify cuts it off.
  const waitUntil = context?.waitUntil?.bind(context);
  return deliverAfterResponse(waitUntil, () =>
    withDeadline(Date.now() + (options?.deadlineMs ?? SYNC_DOOR_DEADLINE_MS), () =>
      dispatch(routes, request, deps),
    ),
  );
}
