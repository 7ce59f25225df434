/**
 * `POST /api/hooks/render`: Render's deploy webhooks, signed per Standard Webhooks. A bad
 * signature, a replayed `webhook-id` or a timestamp outside the tolerance is a 401 and nothing
 * runs. A deploy event of a known service runs a drift check (reads only, well inside Render's
 * 15 s), and queues a heal when ENVSYNC_AUTOHEAL is on.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import * as v from 'valibot';
import { environmentOfTarget } from '../config/manifest.ts';
import { queueForApproval } from '../sync/approvals.ts';
import { newJournal } from '../sync/background.ts';
import { checkDrift } from '../sync/drift.ts';
import { ApiError, json, queryOf, readBodyText, validate } from './http.ts';
import type { ApiDeps } from './deps.ts';
import type { Route } from './router.ts';

const Headers = v.object({
  'webhook-id': v.pipe(v.string('is required'), v.regex(/^[\w.-]{1,128}$/, 'must be a webhook id')),
  'webhook-timestamp': v.pipe(
    v.string('is required'),
    v.regex(/^\d{1,12}$/, 'must be seconds since the epoch'),
  ),
  'webhook-signature': v.pipe(v.string('is required'), v.maxLength(2048)),
});

const Payload = v.object({
  type: v.pipe(v.string(), v.maxLength(64)),
  timestamp: v.optional(v.string()),
  data: v.optional(
    v.object({ id: v.optional(v.string()), serviceId: v.optional(v.pipe(v.string(), v.maxLength(64))) }),
    {},
  ),
});

export const renderWebhookRoute: Route = {
  method: 'POST',
  path: '/api/hooks/render',
  permission: 'none',
  async handle({ request, url, deps }) {
    validate(v.strictObject({}), queryOf(url), 'query');
    const { secret } = deps.renderWebhook;
    if (!secret)
      throw new ApiError(
        503,
        'not_configured',
        'RENDER_WEBHOOK_SECRET is not set: webhooks cannot be verified, so none are accepted.',
      );
    const headers = validate(
      Headers,
      Object.fromEntries(
        ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [
          h,
          request.headers.get(h) ?? undefined,
        ]),
      ),
      'headers',
    );
    // Read as a stream up to the limit, before the signature is checked: an unsigned caller
    // cannot make the door hold more than 64 KB.
    const body = await readBodyText(request);
    try {
      new Webhook(secret).verify(body, headers, { jsonParse: false }); // signature, and timestamp within 5 minutes either way
    } catch {
      throw new ApiError(
        401,
        'invalid_signature',
        'The webhook signature or timestamp does not verify; nothing was done.',
      );
    }
    // A verified id seen before is a replay: the first delivery already acted.
    const marker = `webhooks/${headers['webhook-id']}`;
    const seen = await deps.blobs
      .store('journals')
      .setJSON(marker, { at: deps.now().toISOString() }, { onlyIfNew: true });
    if (!seen.modified)
      throw new ApiError(401, 'replayed', 'This webhook id was already received; nothing was done.');
    try {
      return await act(deps, body, headers['webhook-id']);
    } catch (error) {
      // Render retries a delivery we failed to handle: let the retry through.
      await deps.blobs.store('journals').delete(marker);
      throw error;
    }
  },
};

async function act(deps: ApiDeps, body: string, webhookId: string): Promise<Response> {
  const { events, autoheal } = deps.renderWebhook;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ApiError(400, 'invalid_json', 'The webhook body is not valid JSON.');
  }
  const payload = validate(Payload, parsed, 'body');
  if (!events.includes(payload.type))
    return json(200, {
      status: 'ignored',
      reason: `event ${payload.type} is not one of ${events.join(', ')}`,
    });
  const all = await deps.project();
  const serviceId = payload.data.serviceId;
  const known = [...all.targets.values()].find(
    (t) => t.provider === 'render' && t.scope.kind === 'service' && t.scope.serviceId === serviceId,
  );
  // The environment the service belongs to (the whole manifest when it has none) is checked.
  const project = known && environmentOfTarget(all, known.id);
  if (!project)
    return json(200, { status: 'ignored', reason: 'the service is not one of the configured targets' });

  const correlationId = randomUUID();
  const check = await checkDrift(
    deps.ctx,
    { project },
    { trigger: 'webhook', actor: 'render-webhook', correlationId },
  );
  let healing: string | undefined;
  let awaiting: string | undefined;
  const required = project.approvals?.required ?? 0;
  if (check.planned.report.has_drift && autoheal && required > 0) {
    // Under approvals, the heal waits as a plan for an admiral to approve.
    const spec = project.environment !== undefined ? { env: project.environment } : {};
    awaiting = (await queueForApproval(deps.ctx, check.planned, { actor: 'render-webhook', spec, required }))
      .id;
  } else if (check.planned.report.has_drift && autoheal) {
    const journal = newJournal(randomUUID(), check.planned.plan, {
      action: 'heal',
      actor: 'render-webhook',
      spec: project.environment !== undefined ? { env: project.environment } : {},
      now: deps.now(),
    });
    await deps.records.journals.create(journal);
    await deps.startBackground(journal.id);
    healing = journal.id;
  }
  await deps.records.audit.append({
    action: 'webhook',
    actor: 'render-webhook',
    correlation_id: correlationId,
    source: check.planned.report.source,
    targets: check.planned.report.targets.map((t) => t.id),
    outcome: check.planned.report.has_drift ? 'drift' : 'ok',
    detail: {
      event: payload.type,
      service_id: serviceId,
      webhook_id: webhookId,
      check_id: check.record.id,
      ...(project.environment !== undefined ? { environment: project.environment } : {}),
      ...(healing ? { heal: healing } : {}),
      ...(awaiting ? { awaiting_approval: awaiting } : {}),
    },
  });
  return json(200, {
    status: 'checked',
    ...(project.environment !== undefined ? { environment: project.environment } : {}),
    has_drift: check.planned.report.has_drift,
    check_id: check.record.id,
    ...(healing ? { heal_correlation_id: healing } : {}),
    ...(awaiting ? { awaiting_approval: awaiting } : {}),
  });
}
