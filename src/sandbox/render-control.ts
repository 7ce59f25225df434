import type { AdminRoute } from './http.ts';
import { resetRoutes, SandboxAdminError } from './http.ts';
import type { RenderDeploy, RenderSeed, RenderService, RenderState } from './render-state.ts';
import { newestFirst } from './render-state.ts';

/** Sandbox-only access to Render's state, in process. */
export interface RenderInspector {
  /** A service's variables by key. */
  envVars(serviceId: string): Record<string, string>;
  secretFiles(serviceId: string): Record<string, string>;
  deploys(serviceId: string): RenderDeploy[];
  envGroup(envGroupId: string):
    | {
        name: string;
        envVars: Record<string, string>;
        secretFiles: Record<string, string>;
        serviceIds: string[];
      }
    | undefined;
  envGroupIds(): string[];
  /** Plants a variable as if someone set it in the dashboard. */
  setEnvVar(serviceId: string, key: string, value: string): void;
  deleteEnvVar(serviceId: string, key: string): boolean;
  reset(seed?: RenderSeed): void;
  resetRateLimits(): void;
}

export function renderInspector(
  state: () => RenderState,
  reset: (seed?: RenderSeed) => void,
  resetRateLimits: () => void,
): RenderInspector {
  const service = (id: string): RenderService => {
    const found = state().services.get(id);
    if (!found) throw new SandboxAdminError(404, `no service ${id}`);
    return found;
  };
  return {
    envVars: (id) => Object.fromEntries(newestFirst(service(id).envVars).map((v) => [v.key, v.value])),
    secretFiles: (id) =>
      Object.fromEntries(newestFirst(service(id).secretFiles).map((f) => [f.name, f.content])),
    deploys: (id) => structuredClone(service(id).deploys),
    envGroup(id) {
      const g = state().envGroups.get(id);
      return (
        g && {
          name: g.name,
          envVars: Object.fromEntries(newestFirst(g.envVars).map((v) => [v.key, v.value])),
          secretFiles: Object.fromEntries(newestFirst(g.secretFiles).map((f) => [f.name, f.content])),
          serviceIds: [...g.serviceIds],
        }
      );
    },
    envGroupIds: () => [...state().envGroups.keys()],
    setEnvVar(id, key, value) {
      if (value === '') throw new SandboxAdminError(400, 'Render rejects empty values');
      const s = service(id);
      const row = s.envVars.find((v) => v.key === key);
      if (row) row.value = value;
      else s.envVars.push(state().envVarRow(key, value));
    },
    deleteEnvVar(id, key) {
      const s = service(id);
      const before = s.envVars.length;
      s.envVars = s.envVars.filter((v) => v.key !== key);
      return s.envVars.length < before;
    },
    reset,
    resetRateLimits,
  };
}

export function renderAdminRoutes(inspect: RenderInspector): AdminRoute[] {
  const value = (body: unknown): string => {
    const v = typeof body === 'object' && body !== null ? (body as { value?: unknown }).value : undefined;
    if (typeof v !== 'string') throw new SandboxAdminError(400, 'body.value must be a string');
    return v;
  };
  return [
    ...resetRoutes(inspect),
    {
      method: 'GET',
      route: '/services/{serviceId}/env-vars',
      handle: ({ params }) => ({ status: 200, body: inspect.envVars(params.serviceId ?? '') }),
    },
    {
      method: 'PUT',
      route: '/services/{serviceId}/env-vars/{key}',
      handle: ({ params, body }) => {
        inspect.setEnvVar(params.serviceId ?? '', params.key ?? '', value(body));
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      route: '/services/{serviceId}/env-vars/{key}',
      handle: ({ params }) => ({
        status: inspect.deleteEnvVar(params.serviceId ?? '', params.key ?? '') ? 204 : 404,
      }),
    },
    {
      method: 'GET',
      route: '/services/{serviceId}/secret-files',
      handle: ({ params }) => ({ status: 200, body: inspect.secretFiles(params.serviceId ?? '') }),
    },
    {
      method: 'GET',
      route: '/services/{serviceId}/deploys',
      handle: ({ params }) => ({ status: 200, body: inspect.deploys(params.serviceId ?? '') }),
    },
    {
      method: 'GET',
      route: '/env-groups/{envGroupId}',
      handle: ({ params }) => {
        const group = inspect.envGroup(params.envGroupId ?? '');
        if (!group) throw new SandboxAdminError(404, `no env group ${params.envGroupId ?? ''}`);
        return { status: 200, body: group };
      },
    },
  ];
}
