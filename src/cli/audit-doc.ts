/**
 * `docs/audit/GITHUB_ENV_AUDIT.md`: what the last sync did and whether the environments are in
 * parity, with the GitHub Actions run it came from when there is one. Names only, never values.
 */
import type { AuditEntry } from '../store/audit.ts';
import { formatAnchor } from '../store/audit.ts';
import { markdownCode } from '../core/names.ts';
import type { Records } from '../sync/records.ts';

const WORKFLOW_FIELDS: readonly [string, string][] = [
  ['Repository', 'GITHUB_REPOSITORY'],
  ['Workflow', 'GITHUB_WORKFLOW'],
  ['Run', 'GITHUB_RUN_ID'],
  ['Run number', 'GITHUB_RUN_NUMBER'],
  ['Event', 'GITHUB_EVENT_NAME'],
  ['Ref', 'GITHUB_REF'],
  ['Commit', 'GITHUB_SHA'],
  ['Actor', 'GITHUB_ACTOR'],
];

function changes(entry: AuditEntry): string[] {
  return Object.keys(entry.keys ?? {})
    .sort()
    .map((k) => `- ${markdownCode(k)}`);
}

export async function auditDoc(
  records: Records,
  env: Readonly<Record<string, string | undefined>>,
  now: Date,
): Promise<string> {
  const recent = await records.audit.list({ limit: 200 });
  const sync = recent.items.find(
    (e) => e.action === 'sync' || e.action === 'heal' || e.action === 'rollback',
  );
  const check = (await records.history.list({ limit: 1 })).items[0];
  const lines = [
    '# GitHub environment audit',
    '',
    `Written ${now.toISOString()} by \`genesisctl audit doc\`.`,
    '',
  ];

  const workflow = WORKFLOW_FIELDS.filter(([, name]) => env[name]);
  lines.push('## Workflow', '');
  if (workflow.length === 0) lines.push('Not run in GitHub Actions.', '');
  else {
    lines.push(
      '| | |',
      '| --- | --- |',
      ...workflow.map(([label, name]) => `| ${label} | ${markdownCode(env[name] ?? '')} |`),
    );
    if (env['GITHUB_SERVER_URL'] && env['GITHUB_REPOSITORY'] && env['GITHUB_RUN_ID']) {
      lines.push(
        `| Link | ${env['GITHUB_SERVER_URL']}/${env['GITHUB_REPOSITORY']}/actions/runs/${env['GITHUB_RUN_ID']} |`,
      );
    }
    lines.push('');
  }

  lines.push('## Last sync', '');
  if (!sync) lines.push('No sync recorded yet.', '');
  else {
    lines.push(
      `- Time: ${sync.at}`,
      `- Action: ${sync.action} (${sync.outcome})`,
      `- Source: ${markdownCode(sync.source ?? '-')}`,
      `- Targets: ${sync.targets.map(markdownCode).join(', ') || '-'}`,
      `- Counts: ${Object.entries(sync.counts ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      `- Correlation id: ${markdownCode(sync.correlation_id)}`,
      '',
      'Keys changed or skipped (target:key):',
      '',
      ...(changes(sync).length > 0 ? changes(sync) : ['- none']),
      '',
    );
  }

  lines.push('## Drift', '');
  if (!check) lines.push('No drift check recorded yet.', '');
  else {
    lines.push(
      `- Checked: ${check.checked_at} (${check.trigger})`,
      `- Result: ${check.has_drift ? '**drift**' : 'in parity'}`,
      `- Correlation id: ${markdownCode(check.correlation_id)}`,
      '',
    );
    lines.push(
      '| target | status | missing | extra | conflicts | unknown |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const t of check.targets) {
      const list = (keys: readonly string[]) => (keys.length > 0 ? keys.map(markdownCode).join(' ') : '—');
      lines.push(
        `| ${markdownCode(t.id)} | ${t.has_drift ? 'drift' : 'parity'} | ${list(t.missing)} | ${list(t.extra)} | ${list(t.conflicts)} | ${list(t.unknown)} |`,
      );
    }
    lines.push('');
  }

  // A copy of the chain's end outside Blobs: the trail can be held to it later.
  const head = await records.audit.head();
  lines.push('## Audit chain', '');
  if (!head) lines.push('The audit trail is empty.', '');
  else
    lines.push(
      `- Head: \`${formatAnchor(head)}\``,
      `- Check the trail still holds it: \`genesisctl audit verify --anchor ${formatAnchor(head)}\``,
      '',
    );
  return lines.join('\n');
}
