import type { ApiRoute, SandboxReply, SandboxRequest } from './http.ts';
import type {
  NetlifyAccount,
  NetlifyContext,
  NetlifyScope,
  NetlifyScopeInput,
  NetlifySite,
  NetlifyState,
  StoredEnvVar,
  StoredValue,
} from './netlify-state.ts';
import { defaultScopes, normalizeScope, normalizeScopes } from './netlify-state.ts';

export function netlifyError(status: number, message: string): SandboxReply {
  return { status, body: { code: status, message } };
}

interface ValueInput {
  id?: string;
  context?: NetlifyContext;
  context_parameter?: string;
  value?: string;
}
interface EnvVarInput {
  key?: string;
  scopes?: NetlifyScopeInput[];
  values?: ValueInput[];
  is_secret?: boolean;
}

function isReply(value: unknown): value is SandboxReply {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value;
}

/**
 * The rules Netlify adds on top of the schema: a context on every value, a branch name exactly for
 * `branch`, one value per context, and secrets kept out of `all` and of the post-processing scope.
 */
function checkValues(key: string, values: ValueInput[], isSecret: boolean): SandboxReply | undefined {
  if (values.length > 1 && values.some((v) => v.context === 'all'))
    return netlifyError(
      422,
      `${key}: a value for all contexts cannot be combined with values for other contexts; set one value per context instead`,
    );
  const seen = new Set<string>();
  for (const v of values) {
    if (v.context === undefined) return netlifyError(422, `${key}: context in body is required`);
    if (v.value === undefined) return netlifyError(422, `${key}: value in body is required`);
    const parameter = v.context_parameter ?? '';
    if (v.context === 'branch' && parameter === '')
      return netlifyError(422, `${key}: context_parameter is required when context is branch`);
    if (v.context !== 'branch' && parameter !== '')
      return netlifyError(422, `${key}: context_parameter is only allowed when context is branch`);
    const slot = `${v.context}:${parameter}`;
    if (seen.has(slot))
      return netlifyError(
        422,
        `${key}: more than one value for context ${v.context}${parameter ? ` (${parameter})` : ''}`,
      );
    seen.add(slot);
    // The contracts README: secret values may not be set for the `all` or `dev` contexts. Netlify's
    // docs are looser about `dev`; the sandbox keeps to the stricter rule.
    if (isSecret && (v.context === 'all' || v.context === 'dev')) {
      return netlifyError(
        422,
        `${key}: secret values cannot be set for the ${v.context} context; set a value per deploy context`,
      );
    }
  }
  return undefined;
}

function checkScopes(key: string, scopes: NetlifyScope[], isSecret: boolean): SandboxReply | undefined {
  if (isSecret && scopes.includes('post_processing'))
    return netlifyError(422, `${key}: secret values cannot be used within the post-processing scope`);
  return undefined;
}

/** Secret values never leave the API, except `dev` ones (which Netlify does not treat as secret). */
export function envVarJson(v: StoredEnvVar): Record<string, unknown> {
  return {
    key: v.key,
    scopes: v.scopes,
    values: v.values.map((x) => ({
      id: x.id,
      context: x.context,
      context_parameter: x.contextParameter,
      ...(v.isSecret && x.context !== 'dev' ? {} : { value: x.value }),
    })),
    is_secret: v.isSecret,
    updated_at: v.updatedAt,
    updated_by: v.updatedBy,
  };
}

/**
 * A key holds either one value for `all` contexts or values per context, never both: Netlify's
 * build reads `values.find(v => ['all', context].includes(v.context))` (@netlify/config
 * getEnvelope), which would be ambiguous if both were kept, and netlify-cli's `env:unset --context`
 * turns an `all` value into one value per remaining context. So setting one context of an `all` key
 * first copies the `all` value into every other context (a production deploy then reads the new
 * production value, the others keep what they read), and setting `all` replaces every context's value.
 */
const SPLIT_CONTEXTS: readonly NetlifyContext[] = [
  'production',
  'deploy-preview',
  'branch-deploy',
  'dev',
  'dev-server',
];

function exclusiveAll(state: NetlifyState, envVar: StoredEnvVar, context: NetlifyContext): void {
  if (context === 'all') {
    envVar.values = envVar.values.filter((v) => v.context === 'all');
    return;
  }
  const all = envVar.values.find((v) => v.context === 'all');
  if (!all) return;
  envVar.values = SPLIT_CONTEXTS.filter((c) => c !== context && !(envVar.isSecret && c === 'dev')).map((c) =>
    state.value({ context: c, value: all.value }),
  );
}

/** Netlify's largest page of sites; a larger `per_page` is clamped, not refused. */
const SITES_PER_PAGE = 100;

function siteJson(state: NetlifyState, site: NetlifySite): Record<string, unknown> {
  const account = state.accounts.get(site.accountId);
  return {
    id: site.id,
    site_id: site.id,
    name: site.name,
    url: site.url,
    ssl_url: site.url.replace(/^http:/, 'https:'),
    admin_url: `https://app.netlify.com/sites/${site.name}`,
    account_id: site.accountId,
    account_slug: account?.slug ?? '',
    account_name: account?.name ?? '',
    state: 'current',
    created_at: site.createdAt,
    updated_at: site.createdAt,
  };
}

export function netlifyRoutes(state: () => NetlifyState): ApiRoute[] {
  /** The account in the path and the optional `site_id`, which must belong to it. */
  const target = (
    req: SandboxRequest,
  ):
    | { account: NetlifyAccount; siteId: string | undefined; bucket: Map<string, StoredEnvVar> }
    | SandboxReply => {
    const account = state().account(req.params.account_id ?? '');
    if (!account) return netlifyError(404, 'Not Found');
    const siteParam = req.query.get('site_id');
    if (siteParam === null || siteParam === '')
      return { account, siteId: undefined, bucket: state().bucket(account.id, undefined) };
    const site = state().site(siteParam);
    if (!site || site.accountId !== account.id) return netlifyError(404, 'Not Found');
    return { account, siteId: site.id, bucket: state().bucket(account.id, site.id) };
  };
  const stamp = (v: StoredEnvVar): void => {
    v.updatedAt = new Date().toISOString();
    v.updatedBy = state().user;
  };
  const list = (bucket: Map<string, StoredEnvVar>, req: SandboxRequest): SandboxReply => {
    const context = req.query.get('context_name');
    // Both spellings name one scope (see NETLIFY_SCOPES); the contract check has vetted the value.
    const scopeParam = req.query.get('scope');
    const scope = scopeParam ? normalizeScope(scopeParam as NetlifyScopeInput) : undefined;
    const vars = [...bucket.values()]
      .filter((v) => !scope || v.scopes.includes(scope))
      .map((v) =>
        context ? { ...v, values: v.values.filter((x) => x.context === context || x.context === 'all') } : v,
      )
      .filter((v) => !context || v.values.length > 0)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { status: 200, body: vars.map(envVarJson) };
  };
  const route = (
    method: string,
    path: string,
    handle: (req: SandboxRequest) => SandboxReply,
    contractRoute?: string | null,
  ): ApiRoute => ({
    method,
    route: path,
    handle,
    ...(contractRoute === undefined ? {} : { contractRoute }),
  });

  return [
    route(
      'GET',
      '/accounts',
      () => ({
        status: 200,
        body: [...state().accounts.values()].map((a) => ({
          id: a.id,
          name: a.name,
          slug: a.slug,
          type: 'team',
          type_name: 'Starter',
          roles_allowed: ['Owner'],
        })),
      }),
      null,
    ),
    // Read by netlify-cli (`link --name`, `sites:list`) and @netlify/api users on their way to env vars.
    route('GET', '/sites', (req) => {
      const name = req.query.get('name')?.toLowerCase();
      const sites = [...state().sites.values()]
        .filter((site) => !name || site.name.toLowerCase().includes(name))
        .sort((a, b) =>
          a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? -1 : 1,
        );
      const perPage = Math.min(
        Math.max(Number(req.query.get('per_page') ?? SITES_PER_PAGE) || 1, 1),
        SITES_PER_PAGE,
      );
      const page = Math.max(Number(req.query.get('page') ?? 1) || 1, 1);
      return {
        status: 200,
        body: sites.slice((page - 1) * perPage, page * perPage).map((site) => siteJson(state(), site)),
      };
    }),
    route('GET', '/sites/{site_id}', (req) => {
      const site = state().site(req.params.site_id ?? '');
      return site ? { status: 200, body: siteJson(state(), site) } : netlifyError(404, 'Not Found');
    }),
    // The contract lists this path with the base path repeated (/api/v1/api/v1/…); it is served where Netlify serves it.
    route(
      'GET',
      '/sites/{site_id}/env',
      (req) => {
        const site = state().site(req.params.site_id ?? '');
        if (!site) return netlifyError(404, 'Not Found');
        return list(state().bucket(site.accountId, site.id), req);
      },
      '/api/v1/sites/{site_id}/env',
    ),
    route('GET', '/accounts/{account_id}/env', (req) => {
      const t = target(req);
      return isReply(t) ? t : list(t.bucket, req);
    }),
    route('POST', '/accounts/{account_id}/env', (req) => {
      const t = target(req);
      if (isReply(t)) return t;
      if (req.body === undefined) return netlifyError(422, 'env_vars in body is required');
      const inputs = req.body as EnvVarInput[];
      const created: StoredEnvVar[] = [];
      // Every item is checked before any is stored: one bad item creates nothing.
      const batch = new Set<string>();
      for (const input of inputs) {
        if (!input.key) return netlifyError(422, 'key in body is required');
        if (t.bucket.has(input.key) || batch.has(input.key))
          return netlifyError(409, `environment variable ${input.key} already exists`);
        batch.add(input.key);
        const isSecret = input.is_secret ?? false;
        const scopes = input.scopes ? normalizeScopes(input.scopes) : defaultScopes(isSecret);
        const problem =
          checkScopes(input.key, scopes, isSecret) ?? checkValues(input.key, input.values ?? [], isSecret);
        if (problem) return problem;
        created.push({
          key: input.key,
          scopes,
          isSecret,
          values: (input.values ?? []).map((v) =>
            state().value({
              context: v.context ?? 'all',
              context_parameter: v.context_parameter,
              value: v.value ?? '',
            }),
          ),
          updatedAt: new Date().toISOString(),
          updatedBy: state().user,
        });
      }
      for (const v of created) t.bucket.set(v.key, v);
      return { status: 201, body: created.map(envVarJson) };
    }),
    route('GET', '/accounts/{account_id}/env/{key}', (req) => {
      const t = target(req);
      if (isReply(t)) return t;
      const v = t.bucket.get(req.params.key ?? '');
      return v ? { status: 200, body: envVarJson(v) } : netlifyError(404, 'Not Found');
    }),
    route('PUT', '/accounts/{account_id}/env/{key}', (req) => {
      const t = target(req);
      if (isReply(t)) return t;
      const existing = t.bucket.get(req.params.key ?? '');
      if (!existing) return netlifyError(404, 'Not Found');
      if (req.body === undefined) return netlifyError(422, 'env_var in body is required');
      const input = req.body as EnvVarInput;
      if (existing.isSecret && input.is_secret === false)
        return netlifyError(422, `${existing.key}: a secret variable cannot be made non-secret`);
      const isSecret = input.is_secret ?? existing.isSecret;
      const key = input.key ?? existing.key;
      if (key === '') return netlifyError(422, 'key in body should be at least 1 chars long');
      if (key !== existing.key && t.bucket.has(key))
        return netlifyError(409, `environment variable ${key} already exists`);
      const scopes = input.scopes ? normalizeScopes(input.scopes) : defaultScopes(isSecret);
      const values = input.values ?? [];
      const problem = checkScopes(key, scopes, isSecret) ?? checkValues(key, values, isSecret);
      if (problem) return problem;
      // PUT replaces every context's value: contexts left out are gone.
      const replaced: StoredEnvVar = {
        ...existing,
        key,
        scopes,
        isSecret,
        values: values.map((v) =>
          state().value({
            context: v.context ?? 'all',
            context_parameter: v.context_parameter,
            value: v.value ?? '',
          }),
        ),
      };
      stamp(replaced);
      t.bucket.delete(existing.key);
      t.bucket.set(key, replaced);
      return { status: 200, body: envVarJson(replaced) };
    }),
    route('PATCH', '/accounts/{account_id}/env/{key}', (req) => {
      const t = target(req);
      if (isReply(t)) return t;
      const existing = t.bucket.get(req.params.key ?? '');
      if (!existing) return netlifyError(404, 'Not Found');
      if (req.body === undefined) return netlifyError(422, 'env_var in body is required');
      const input = req.body as ValueInput;
      const problem = checkValues(existing.key, [input], existing.isSecret);
      if (problem) return problem;
      const context = input.context ?? 'all';
      const parameter = input.context_parameter ?? '';
      exclusiveAll(state(), existing, context);
      // Sets one context's value and leaves every other context alone.
      const slot = existing.values.find((x) => x.context === context && x.contextParameter === parameter);
      if (slot) slot.value = input.value ?? '';
      else
        existing.values.push(
          state().value({ context, context_parameter: parameter, value: input.value ?? '' }),
        );
      stamp(existing);
      return { status: 201, body: envVarJson(existing) };
    }),
    route('DELETE', '/accounts/{account_id}/env/{key}', (req) => {
      const t = target(req);
      if (isReply(t)) return t;
      return t.bucket.delete(req.params.key ?? '') ? { status: 204 } : netlifyError(404, 'Not Found');
    }),
    route('DELETE', '/accounts/{account_id}/env/{key}/value/{id}', (req) => {
      const t = target(req);
      if (isReply(t)) return t;
      const existing = t.bucket.get(req.params.key ?? '');
      const index = existing ? existing.values.findIndex((x: StoredValue) => x.id === req.params.id) : -1;
      if (!existing || index < 0) return netlifyError(404, 'Not Found');
      existing.values.splice(index, 1);
      stamp(existing);
      return { status: 204 };
    }),
  ];
}
