import { Contract } from './contract.ts';
import type { ContractOperation, ContractParameter } from './contract.ts';
import type { JsonSchema } from './schema.ts';

/**
 * Render publishes no machine-readable contract we may use, so these shapes are written from the
 * recorded traffic (render-env.recorded.json) and the README facts. A test checks every recorded
 * request and response against them, so they cannot drift from what Render actually sent.
 */
const str: JsonSchema = { type: 'string' };
const nonEmpty: JsonSchema = { type: 'string', minLength: 1 };
const dateTime: JsonSchema = { type: 'string', format: 'date-time' };

/** An object whose listed properties are all required (unless named optional) and nothing else is allowed. */
function strict(properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema {
  return {
    type: 'object',
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
    additionalProperties: false,
  };
}
const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });

export const RENDER_ERROR = strict({ id: str, message: str }, ['id']);
const ENV_VAR = strict({ key: str, value: str });
const SECRET_FILE = strict({ name: str, content: str });
const ENV_VAR_INPUT = strict({ key: nonEmpty, value: str, generateValue: { type: 'boolean' } }, [
  'value',
  'generateValue',
]);
const ENV_VAR_VALUE_INPUT = strict({ value: str, generateValue: { type: 'boolean' } }, [
  'value',
  'generateValue',
]);
const SECRET_FILE_INPUT = strict({ name: nonEmpty, content: str });
const SERVICE_LINK = strict({ id: str, name: str, type: str });
const ENV_GROUP_META = strict({
  id: str,
  name: str,
  ownerId: str,
  serviceLinks: arrayOf(SERVICE_LINK),
  createdAt: dateTime,
  updatedAt: dateTime,
});
const ENV_GROUP = strict({
  id: str,
  name: str,
  ownerId: str,
  envVars: arrayOf(ENV_VAR),
  secretFiles: arrayOf(SECRET_FILE),
  serviceLinks: arrayOf(SERVICE_LINK),
  createdAt: dateTime,
  updatedAt: dateTime,
});
const SERVICE = strict({
  id: str,
  name: str,
  type: {
    type: 'string',
    enum: ['static_site', 'web_service', 'private_service', 'background_worker', 'cron_job'],
  },
  ownerId: str,
  slug: str,
  autoDeploy: { type: 'string', enum: ['yes', 'no'] },
  branch: str,
  suspended: { type: 'string', enum: ['suspended', 'not_suspended'] },
  suspenders: arrayOf(str),
  notifyOnFail: str,
  rootDir: str,
  dashboardUrl: str,
  createdAt: dateTime,
  updatedAt: dateTime,
});
const DEPLOY = strict({
  id: str,
  status: str,
  trigger: str,
  createdAt: dateTime,
  updatedAt: dateTime,
  finishedAt: { type: 'string', format: 'date-time', nullable: true },
});
const withCursor = (name: string, item: JsonSchema): JsonSchema =>
  arrayOf(strict({ [name]: item, cursor: str }));

const path = (name: string): ContractParameter => ({ name, in: 'path', required: true, schema: str });
const query = (name: string, schema: JsonSchema = str): ContractParameter => ({
  name,
  in: 'query',
  required: false,
  schema,
});
const PAGE = [query('limit', { type: 'integer', minimum: 1, maximum: 100 }), query('cursor')];

function op(
  method: string,
  opPath: string,
  parameters: ContractParameter[],
  responses: Record<string, JsonSchema | null>,
  body?: { schema: JsonSchema; required?: boolean },
): ContractOperation {
  return {
    method,
    path: opPath,
    parameters,
    responses,
    ...(body ? { body: { name: 'body', required: body.required ?? true, schema: body.schema } } : {}),
  };
}

const SERVICE_ID = path('serviceId');
const GROUP_ID = path('envGroupId');

export const RENDER_OPERATIONS: ContractOperation[] = [
  op('GET', '/services', [...PAGE, query('name'), query('type'), query('ownerId')], {
    200: withCursor('service', SERVICE),
  }),
  op('GET', '/services/{serviceId}', [SERVICE_ID], { 200: SERVICE }),
  op('GET', '/services/{serviceId}/env-vars', [SERVICE_ID, ...PAGE], { 200: withCursor('envVar', ENV_VAR) }),
  // The recording shows Render accepting a JSON `null` body as "no variables".
  op(
    'PUT',
    '/services/{serviceId}/env-vars',
    [SERVICE_ID],
    { 200: withCursor('envVar', ENV_VAR) },
    { schema: { ...arrayOf(ENV_VAR_INPUT), nullable: true } },
  ),
  op('GET', '/services/{serviceId}/env-vars/{envVarKey}', [SERVICE_ID, path('envVarKey')], { 200: ENV_VAR }),
  op(
    'PUT',
    '/services/{serviceId}/env-vars/{envVarKey}',
    [SERVICE_ID, path('envVarKey')],
    { 200: ENV_VAR },
    { schema: ENV_VAR_VALUE_INPUT },
  ),
  op('DELETE', '/services/{serviceId}/env-vars/{envVarKey}', [SERVICE_ID, path('envVarKey')], { 204: null }),
  op('GET', '/services/{serviceId}/secret-files', [SERVICE_ID, ...PAGE], {
    200: withCursor('secretFile', SECRET_FILE),
  }),
  op(
    'PUT',
    '/services/{serviceId}/secret-files',
    [SERVICE_ID],
    { 200: withCursor('secretFile', SECRET_FILE) },
    { schema: { ...arrayOf(SECRET_FILE_INPUT), nullable: true } },
  ),
  op('GET', '/services/{serviceId}/deploys', [SERVICE_ID, ...PAGE], { 200: withCursor('deploy', DEPLOY) }),
  op(
    'POST',
    '/services/{serviceId}/deploys',
    [SERVICE_ID],
    { 201: DEPLOY },
    {
      schema: strict({ clearCache: { type: 'string', enum: ['clear', 'do_not_clear'] }, commitId: str }, [
        'clearCache',
        'commitId',
      ]),
      required: false,
    },
  ),
  op('GET', '/env-groups', [...PAGE, query('name'), query('ownerId'), query('environmentId')], {
    200: arrayOf(ENV_GROUP_META),
  }),
  op(
    'POST',
    '/env-groups',
    [],
    { 201: ENV_GROUP },
    {
      schema: strict(
        {
          name: nonEmpty,
          ownerId: nonEmpty,
          envVars: arrayOf(ENV_VAR_INPUT),
          secretFiles: arrayOf(SECRET_FILE_INPUT),
          serviceIds: arrayOf(str),
        },
        ['secretFiles', 'serviceIds'],
      ),
    },
  ),
  op('GET', '/env-groups/{envGroupId}', [GROUP_ID], { 200: ENV_GROUP }),
  op(
    'PATCH',
    '/env-groups/{envGroupId}',
    [GROUP_ID],
    { 200: ENV_GROUP },
    { schema: strict({ name: nonEmpty }) },
  ),
  op('DELETE', '/env-groups/{envGroupId}', [GROUP_ID], { 204: null }),
  op(
    'PUT',
    '/env-groups/{envGroupId}/env-vars/{envVarKey}',
    [GROUP_ID, path('envVarKey')],
    { 200: ENV_GROUP },
    { schema: ENV_VAR_VALUE_INPUT },
  ),
  op('DELETE', '/env-groups/{envGroupId}/env-vars/{envVarKey}', [GROUP_ID, path('envVarKey')], { 204: null }),
  op(
    'PUT',
    '/env-groups/{envGroupId}/secret-files/{secretFileName}',
    [GROUP_ID, path('secretFileName')],
    { 200: ENV_GROUP },
    { schema: strict({ content: str }) },
  ),
  op('DELETE', '/env-groups/{envGroupId}/secret-files/{secretFileName}', [GROUP_ID, path('secretFileName')], {
    204: null,
  }),
  op('POST', '/env-groups/{envGroupId}/services/{serviceId}', [GROUP_ID, SERVICE_ID], { 200: ENV_GROUP }),
  op('DELETE', '/env-groups/{envGroupId}/services/{serviceId}', [GROUP_ID, SERVICE_ID], { 204: null }),
];

let contractCache: Contract | undefined;

/** Render's shapes as a Contract, with `{id?, message}` for every error status. */
export function renderContract(): Contract {
  contractCache ??= new Contract('Render (recorded)', RENDER_OPERATIONS, 'openapi-3.0', RENDER_ERROR);
  return contractCache;
}

/** One recorded exchange of render-env.recorded.json. */
export interface RecordedRenderExchange {
  source: string;
  request: { method: string; url: string; headers: Record<string, string[]>; body: unknown };
  response: { status: number; headers: Record<string, string[]>; body: unknown };
}
