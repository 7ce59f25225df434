import type { ApiRoute, SandboxReply, SandboxRequest } from './http.ts';
import type {
  EnvVarRow,
  RenderDeploy,
  RenderEnvGroup,
  RenderService,
  RenderState,
  Row,
  SecretFileRow,
} from './render-state.ts';
import { decodeCursor, encodeCursor, newestFirst } from './render-state.ts';

export function renderError(status: number, message: string): SandboxReply {
  return { status, body: { message } };
}

type EnvVarInput = { key: string; value?: string; generateValue?: boolean };
type SecretFileInput = { name: string; content: string };

/** A value Render accepts: a non-empty `value` or `generateValue: true`, never both. */
function resolveValue(
  state: RenderState,
  input: { value?: string; generateValue?: boolean },
  where: string,
): string | SandboxReply {
  if (input.generateValue === true) {
    if (input.value !== undefined)
      return renderError(400, `${where}: value and generateValue cannot both be set`);
    return state.generatedValue();
  }
  if (input.value === undefined || input.value === '')
    return renderError(400, `${where}: value must not be empty`);
  return input.value;
}

function isReply(value: unknown): value is SandboxReply {
  return typeof value === 'object' && value !== null && 'status' in value;
}

/** Checks a whole list of env vars before anything is written, so a bad item changes nothing. */
function resolveEnvVars(
  state: RenderState,
  inputs: EnvVarInput[],
): { key: string; value: string }[] | SandboxReply {
  const seen = new Set<string>();
  const out: { key: string; value: string }[] = [];
  for (const [i, input] of inputs.entries()) {
    if (seen.has(input.key)) return renderError(400, `envVars[${i}]: duplicate key ${input.key}`);
    seen.add(input.key);
    const value = resolveValue(state, input, `envVars[${i}]`);
    if (isReply(value)) return value;
    out.push({ key: input.key, value });
  }
  return out;
}

function checkSecretFiles(inputs: SecretFileInput[]): SandboxReply | undefined {
  const seen = new Set<string>();
  for (const [i, file] of inputs.entries()) {
    if (seen.has(file.name)) return renderError(400, `secretFiles[${i}]: duplicate name ${file.name}`);
    seen.add(file.name);
    if (file.content === '') return renderError(400, `secretFiles[${i}]: content must not be empty`);
  }
  return undefined;
}

/** Newest first, `limit` (default 20) items after `cursor`; the end of a list is `[]`. */
function page<T extends Row>(rows: T[], req: SandboxRequest): T[] | SandboxReply {
  const limit = Number(req.query.get('limit') ?? 20);
  const cursor = req.query.get('cursor');
  let before = Number.POSITIVE_INFINITY;
  if (cursor !== null) {
    const seq = decodeCursor(cursor);
    if (seq === undefined) return renderError(400, `invalid cursor: ${cursor}`);
    before = seq;
  }
  return newestFirst(rows)
    .filter((r) => r.seq < before)
    .slice(0, limit);
}

const deployJson = (deploy: RenderDeploy) => ({
  id: deploy.id,
  status: deploy.status,
  trigger: deploy.trigger,
  createdAt: deploy.createdAt,
  updatedAt: deploy.createdAt,
  finishedAt: null,
});

const envVarItem = (row: EnvVarRow) => ({
  envVar: { key: row.key, value: row.value },
  cursor: encodeCursor(row),
});
const secretFileItem = (row: SecretFileRow) => ({
  secretFile: { name: row.name, content: row.content },
  cursor: encodeCursor(row),
});

export function serviceJson(service: RenderService): Record<string, unknown> {
  return {
    id: service.id,
    name: service.name,
    type: service.type,
    ownerId: service.ownerId,
    slug: service.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-'),
    autoDeploy: 'yes',
    branch: 'main',
    suspended: 'not_suspended',
    suspenders: [],
    notifyOnFail: 'default',
    rootDir: '',
    dashboardUrl: `https://dashboard.render.com/web/${service.id}`,
    createdAt: service.createdAt,
    updatedAt: service.updatedAt,
  };
}

function serviceLinks(
  state: RenderState,
  group: RenderEnvGroup,
): { id: string; name: string; type: string }[] {
  return group.serviceIds.flatMap((id) => {
    const service = state.services.get(id);
    return service ? [{ id, name: service.name, type: service.type }] : [];
  });
}

export function envGroupJson(state: RenderState, group: RenderEnvGroup): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    ownerId: group.ownerId,
    envVars: newestFirst(group.envVars).map((v) => ({ key: v.key, value: v.value })),
    secretFiles: newestFirst(group.secretFiles).map((f) => ({ name: f.name, content: f.content })),
    serviceLinks: serviceLinks(state, group),
    createdAt: group.createdAt,
    updatedAt: group.updatedAt,
  };
}

export function renderRoutes(state: () => RenderState): ApiRoute[] {
  const service = (req: SandboxRequest): RenderService | SandboxReply => {
    const id = req.params.serviceId ?? '';
    return state().services.get(id) ?? renderError(404, `not found: ${id}`);
  };
  const group = (req: SandboxRequest): RenderEnvGroup | SandboxReply => {
    const id = req.params.envGroupId ?? '';
    return state().envGroups.get(id) ?? renderError(404, `not found: ${id}`);
  };
  const route = (method: string, path: string, handle: (req: SandboxRequest) => SandboxReply): ApiRoute => ({
    method,
    route: path,
    handle,
  });

  return [
    route('GET', '/services', (req) => {
      const filter = (s: RenderService): boolean =>
        (req.query.get('name') === null || s.name === req.query.get('name')) &&
        (req.query.get('type') === null || s.type === req.query.get('type')) &&
        (req.query.get('ownerId') === null || s.ownerId === req.query.get('ownerId'));
      const rows = page([...state().services.values()].filter(filter), req);
      return isReply(rows)
        ? rows
        : { status: 200, body: rows.map((s) => ({ service: serviceJson(s), cursor: encodeCursor(s) })) };
    }),
    route('GET', '/services/{serviceId}', (req) => {
      const s = service(req);
      return isReply(s) ? s : { status: 200, body: serviceJson(s) };
    }),
    route('GET', '/services/{serviceId}/env-vars', (req) => {
      const s = service(req);
      if (isReply(s)) return s;
      const rows = page(s.envVars, req);
      return isReply(rows) ? rows : { status: 200, body: rows.map(envVarItem) };
    }),
    route('PUT', '/services/{serviceId}/env-vars', (req) => {
      const s = service(req);
      if (isReply(s)) return s;
      const resolved = resolveEnvVars(state(), (req.body ?? []) as EnvVarInput[]);
      if (isReply(resolved)) return resolved;
      // Replaces every variable: keys left out are gone, and every row gets a new id and cursor.
      s.envVars = resolved.map((v) => state().envVarRow(v.key, v.value));
      s.updatedAt = state().timestamp();
      return { status: 200, body: s.envVars.map(envVarItem) };
    }),
    route('GET', '/services/{serviceId}/env-vars/{envVarKey}', (req) => {
      const s = service(req);
      if (isReply(s)) return s;
      const row = s.envVars.find((v) => v.key === req.params.envVarKey);
      return row
        ? { status: 200, body: { key: row.key, value: row.value } }
        : renderError(404, `not found: ${req.params.envVarKey ?? ''}`);
    }),
    route('PUT', '/services/{serviceId}/env-vars/{envVarKey}', (req) => {
      const s = service(req);
      if (isReply(s)) return s;
      const key = req.params.envVarKey ?? '';
      const value = resolveValue(state(), req.body as { value?: string; generateValue?: boolean }, key);
      if (isReply(value)) return value;
      const row = s.envVars.find((v) => v.key === key);
      if (row) row.value = value;
      else s.envVars.push(state().envVarRow(key, value));
      return { status: 200, body: { key, value } };
    }),
    route('DELETE', '/services/{serviceId}/env-vars/{envVarKey}', (req) => {
      const s = service(req);
      if (isReply(s)) return s;
      const before = s.envVars.length;
      s.envVars = s.envVars.filter((v) => v.key !== req.params.envVarKey);
      return s.envVars.length < before
        ? { status: 204 }
        : renderError(404, `not found: ${req.params.envVarKey ?? ''}`);
    }),
    route('GET', '/services/{serviceId}/secret-files', (req) => {
      const s = service(req);
      if (isReply(s)) return s;
      const rows = page(s.secretFiles, req);
      return isReply(rows) ? rows : { status: 200, body: rows.map(secretFileItem) };
    }),
    route('PUT', '/services/{serviceId}/secret-files', (req) => {
      const s = service(req);
      if (isReply(s)) return s;
      const files = (req.body ?? []) as SecretFileInput[];
      const problem = checkSecretFiles(files);
      if (problem) return problem;
      s.secretFiles = files.map((f) => state().secretFileRow(f.name, f.content));
      return { status: 200, body: s.secretFiles.map(secretFileItem) };
    }),
    route('POST', '/services/{serviceId}/deploys', (req) => {
      const s = service(req);
      if (isReply(s)) return s;
      const body = (req.body ?? {}) as { clearCache?: 'clear' | 'do_not_clear'; commitId?: string };
      const createdAt = state().timestamp();
      const deploy = {
        ...state().row(),
        id: state().newId('dep'),
        status: 'created' as const,
        trigger: 'api' as const,
        clearCache: body.clearCache ?? 'do_not_clear',
        createdAt,
      };
      s.deploys.push(body.commitId ? { ...deploy, commitId: body.commitId } : deploy);
      return { status: 201, body: deployJson(deploy) };
    }),
    // Read by Render's own clients (and the dashboard) after a deploy is triggered.
    route('GET', '/services/{serviceId}/deploys', (req) => {
      const s = service(req);
      if (isReply(s)) return s;
      const rows = page(s.deploys, req);
      if (isReply(rows)) return rows;
      return { status: 200, body: rows.map((d) => ({ deploy: deployJson(d), cursor: encodeCursor(d) })) };
    }),
    ...envGroupRoutes(state, group, route),
  ];
}

function envGroupRoutes(
  state: () => RenderState,
  group: (req: SandboxRequest) => RenderEnvGroup | SandboxReply,
  route: (method: string, path: string, handle: (req: SandboxRequest) => SandboxReply) => ApiRoute,
): ApiRoute[] {
  const ok = (g: RenderEnvGroup): SandboxReply => ({ status: 200, body: envGroupJson(state(), g) });
  return [
    route('GET', '/env-groups', (req) => {
      const filter = (g: RenderEnvGroup): boolean =>
        (req.query.get('name') === null || g.name === req.query.get('name')) &&
        (req.query.get('ownerId') === null || g.ownerId === req.query.get('ownerId')) &&
        // Sandbox env groups belong to no Render environment, so an environment filter matches none.
        req.query.get('environmentId') === null;
      const rows = page([...state().envGroups.values()].filter(filter), req);
      if (isReply(rows)) return rows;
      // Bare items, unlike the services list's {service, cursor}: Render's own generated client
      // (terraform-provider-render, ListEnvGroupsResponse.JSON200 *[]EnvGroupMeta) reads them so.
      return {
        status: 200,
        body: rows.map((g) => {
          const { envVars: _envVars, secretFiles: _secretFiles, ...meta } = envGroupJson(state(), g);
          return meta;
        }),
      };
    }),
    route('POST', '/env-groups', (req) => {
      const body = req.body as {
        name: string;
        ownerId: string;
        envVars: EnvVarInput[];
        secretFiles?: SecretFileInput[];
        serviceIds?: string[];
      };
      if (!state().owners.has(body.ownerId)) return renderError(400, `invalid ownerId: ${body.ownerId}`);
      const envVars = resolveEnvVars(state(), body.envVars);
      if (isReply(envVars)) return envVars;
      const problem = checkSecretFiles(body.secretFiles ?? []);
      if (problem) return problem;
      const unknown = (body.serviceIds ?? []).find((id) => !state().services.has(id));
      if (unknown) return renderError(400, `invalid serviceIds: ${unknown}`);
      const created = state().createEnvGroup(body.name, body.ownerId, envVars, body.secretFiles ?? []);
      created.serviceIds.push(...new Set(body.serviceIds ?? []));
      return { status: 201, body: envGroupJson(state(), created) };
    }),
    route('GET', '/env-groups/{envGroupId}', (req) => {
      const g = group(req);
      return isReply(g) ? g : ok(g);
    }),
    route('PATCH', '/env-groups/{envGroupId}', (req) => {
      const g = group(req);
      if (isReply(g)) return g;
      g.name = (req.body as { name: string }).name;
      g.updatedAt = state().timestamp();
      return ok(g);
    }),
    route('DELETE', '/env-groups/{envGroupId}', (req) => {
      const g = group(req);
      if (isReply(g)) return g;
      state().envGroups.delete(g.id);
      return { status: 204 };
    }),
    route('PUT', '/env-groups/{envGroupId}/env-vars/{envVarKey}', (req) => {
      const g = group(req);
      if (isReply(g)) return g;
      const key = req.params.envVarKey ?? '';
      const value = resolveValue(state(), req.body as { value?: string; generateValue?: boolean }, key);
      if (isReply(value)) return value;
      // The recording shows the group's updatedAt unchanged by a variable write.
      const row = g.envVars.find((v) => v.key === key);
      if (row) row.value = value;
      else g.envVars.push(state().envVarRow(key, value));
      return ok(g);
    }),
    route('DELETE', '/env-groups/{envGroupId}/env-vars/{envVarKey}', (req) => {
      const g = group(req);
      if (isReply(g)) return g;
      const before = g.envVars.length;
      g.envVars = g.envVars.filter((v) => v.key !== req.params.envVarKey);
      return g.envVars.length < before
        ? { status: 204 }
        : renderError(404, `not found: ${req.params.envVarKey ?? ''}`);
    }),
    route('PUT', '/env-groups/{envGroupId}/secret-files/{secretFileName}', (req) => {
      const g = group(req);
      if (isReply(g)) return g;
      const name = req.params.secretFileName ?? '';
      const { content } = req.body as { content: string };
      const problem = checkSecretFiles([{ name, content }]);
      if (problem) return problem;
      const row = g.secretFiles.find((f) => f.name === name);
      if (row) row.content = content;
      else g.secretFiles.push(state().secretFileRow(name, content));
      return ok(g);
    }),
    route('DELETE', '/env-groups/{envGroupId}/secret-files/{secretFileName}', (req) => {
      const g = group(req);
      if (isReply(g)) return g;
      const before = g.secretFiles.length;
      g.secretFiles = g.secretFiles.filter((f) => f.name !== req.params.secretFileName);
      return g.secretFiles.length < before
        ? { status: 204 }
        : renderError(404, `not found: ${req.params.secretFileName ?? ''}`);
    }),
    route('POST', '/env-groups/{envGroupId}/services/{serviceId}', (req) => {
      const g = group(req);
      if (isReply(g)) return g;
      const id = req.params.serviceId ?? '';
      if (!state().services.has(id)) return renderError(404, `not found: ${id}`);
      if (!g.serviceIds.includes(id)) g.serviceIds.push(id);
      return ok(g);
    }),
    route('DELETE', '/env-groups/{envGroupId}/services/{serviceId}', (req) => {
      const g = group(req);
      if (isReply(g)) return g;
      const id = req.params.serviceId ?? '';
      if (!g.serviceIds.includes(id)) return renderError(404, `not found: ${id}`);
      g.serviceIds = g.serviceIds.filter((s) => s !== id);
      return { status: 204 };
    }),
  ];
}
