/** Doctor's provider checks: credentials, DNS, TCP, the token, then each target's list and write access. */
import { PROVIDER_CREDENTIALS } from '../config/env.ts';
import type { EnvConfig } from '../config/env.ts';
import { targetLabel } from '../core/model.ts';
import type { Target } from '../core/model.ts';
import { adapterFor } from '../providers/adapter.ts';
import type { Adapters } from '../providers/adapter.ts';
import type { Check, CheckStatus } from './doctor-check.ts';
import { errorText } from './doctor-check.ts';
import { connectTo, endpointOf, resolveHost } from './doctor-network.ts';

export const REMOTE = ['github', 'render', 'netlify'] as const;
type Remote = (typeof REMOTE)[number];
const API_URL_SETTING: Readonly<Record<Remote, string>> = {
  github: 'GITHUB_API_URL',
  render: 'RENDER_API_URL',
  netlify: 'NETLIFY_API_URL',
};
const FIREWALL_HINT =
  'a firewall may be blocking API calls (the seed\'s "drift persists after sync: firewall blocking API calls")';

function tokenOf(provider: Remote, config: EnvConfig): string {
  return { github: config.github.token, render: config.render.apiKey, netlify: config.netlify.token }[
    provider
  ];
}

function apiUrlOf(provider: Remote, config: EnvConfig): string {
  return { github: config.github.apiUrl, render: config.render.apiUrl, netlify: config.netlify.apiUrl }[
    provider
  ];
}

export async function providerChecks(
  provider: Remote,
  config: EnvConfig,
  targets: readonly Target[],
  adapters: Adapters,
  options: { readonly timeoutMs: number; readonly sourceId: string | undefined },
): Promise<Check[]> {
  // A GitHub App stands in for a token: installation tokens are bought per run.
  const app = provider === 'github' && !config.github.token ? config.github.app : undefined;
  const token = tokenOf(provider, config) || (app ? `github-app:${app.appId}` : '');
  const variable = PROVIDER_CREDENTIALS[provider].join(', ');
  const tokenVariable = provider === 'github' ? 'GITHUB_TOKEN' : variable;
  // A provider neither configured nor used is not a problem: nothing would talk to it.
  if (!token && targets.length === 0) return [];
  const row = (check: string, status: CheckStatus, detail: string, fix?: string): Check => ({
    subject: provider,
    check,
    status,
    detail,
    ...(fix ? { fix } : {}),
  });
  if (!token)
    return [
      row(
        'credentials',
        'fail',
        `${variable} is not set, and ${targets.map((t) => t.id).join(', ')} use ${provider}`,
        `set ${variable} (see README, Configuration)`,
      ),
    ];
  // Its length only: a token, or any part of it, never reaches the output.
  const checks = [
    row(
      'credentials',
      'ok',
      app
        ? `GitHub App ${app.appId} (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY set): installation tokens`
        : `${tokenVariable} set (${token.length} characters)`,
    ),
  ];
  // The targets of a provider that failed a step are named, not silently left out.
  const unchecked = (step: string): Check[] =>
    targets.map((t) => ({
      subject: `target ${t.id}`,
      check: 'can list',
      status: 'info',
      detail: `not checked: ${provider} failed its ${step} check`,
    }));
  const apiUrl = apiUrlOf(provider, config);
  const setting = API_URL_SETTING[provider];
  const endpoint = endpointOf(apiUrl);
  const dns = await resolveHost(endpoint.host, options.timeoutMs);
  if (!dns.ok) {
    checks.push(
      row(
        'dns',
        'fail',
        `cannot resolve ${endpoint.host} (${dns.reason})`,
        `check ${setting} (${apiUrl}) and this machine's DNS`,
      ),
    );
    return [...checks, ...unchecked('dns')];
  }
  checks.push(row('dns', 'ok', dns.detail));
  const tcp = await connectTo(endpoint, options.timeoutMs);
  if (!tcp.ok) {
    checks.push(
      row(
        'reachability',
        'fail',
        `cannot connect to ${endpoint.host}:${endpoint.port} (${tcp.reason})`,
        `${FIREWALL_HINT}: allow outbound HTTPS to ${endpoint.host}:${endpoint.port}, or check ${setting}`,
      ),
    );
    return [...checks, ...unchecked('reachability')];
  }
  checks.push(row('reachability', 'ok', tcp.detail));

  const adapter = adapters[provider];
  try {
    const auth = await adapter.probe?.auth();
    if (auth) checks.push(row('auth', auth.ok === false ? 'fail' : 'ok', auth.detail, auth.fix));
    if (auth?.ok === false) return [...checks, ...unchecked('auth')];
  } catch (error) {
    checks.push(row('auth', 'fail', errorText(error)));
    return [...checks, ...unchecked('auth')];
  }
  for (const target of targets) {
    checks.push(await listCheck(target, adapters));
    checks.push(await writeCheck(target, adapters, target.id === options.sourceId));
  }
  return checks;
}

export async function listCheck(target: Target, adapters: Adapters): Promise<Check> {
  const subject = `target ${target.id}`;
  try {
    // A harmless read: the values stay in memory, only their count is told.
    const listed = await adapterFor(adapters, target).list(target);
    return {
      subject,
      check: 'can list',
      status: 'ok',
      detail: `${listed.size} variable${listed.size === 1 ? '' : 's'} in ${targetLabel(target)}`,
    };
  } catch (error) {
    return {
      subject,
      check: 'can list',
      status: 'fail',
      detail: `${targetLabel(target)}: ${errorText(error)}`,
    };
  }
}

async function writeCheck(target: Target, adapters: Adapters, isSource: boolean): Promise<Check> {
  const subject = `target ${target.id}`;
  const probe = adapterFor(adapters, target).probe;
  if (!probe) return { subject, check: 'can write', status: 'info', detail: 'not checked for this provider' };
  try {
    const answer = await probe.writeAccess(target);
    if (answer.ok === true) return { subject, check: 'can write', status: 'ok', detail: answer.detail };
    if (answer.ok === undefined)
      return { subject, check: 'can write', status: 'info', detail: answer.detail };
    // The source is only read: a read-only token is all it needs.
    if (isSource)
      return {
        subject,
        check: 'can write',
        status: 'info',
        detail: `${answer.detail}; enough for the source, which is only read`,
      };
    return {
      subject,
      check: 'can write',
      status: 'fail',
      detail: answer.detail,
      ...(answer.fix ? { fix: answer.fix } : {}),
    };
  } catch (error) {
    return { subject, check: 'can write', status: 'fail', detail: errorText(error) };
  }
}
