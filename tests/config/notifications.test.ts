import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/config/manifest.ts';

const base = { source: 'render', targets: { render: { provider: 'render', service: 'srv-1' } } };
const problem = (notifications: unknown): string => {
  try {
    parseManifest({ ...base, notifications }, 'm.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

describe('manifest notifications', () => {
  it('default to slack and every kind, and to none', () => {
    expect(parseManifest(base, 'm.yaml').notifications).toEqual([]);
    expect(
      parseManifest({ ...base, notifications: [{ url_env: 'SLACK_WEBHOOK_URL' }] }, 'm.yaml').notifications,
    ).toEqual([
      {
        url_env: 'SLACK_WEBHOOK_URL',
        format: 'slack',
        on: ['drift', 'sync_failed', 'approval_needed', 'sync_done'],
      },
    ]);
  });

  it('refuse a URL written in the manifest, saying where it belongs', () => {
    expect(problem([{ url: 'https://hooks.slack.com/services/T/B/X' }])).toContain(
      'notifications.0: a webhook URL is a secret and does not belong in the manifest: put it in an environment variable and name that variable in url_env',
    );
  });

  it('name what is wrong: the variable, the format, a kind, a misspelt field', () => {
    expect(problem([{ url_env: 'https://hooks.slack.com' }])).toContain(
      'notifications.0.url_env: must be the name of an environment variable (letters, digits, _), e.g. SLACK_WEBHOOK_URL',
    );
    expect(problem([{ url_env: 'X', format: 'teams' }])).toContain(
      'notifications.0.format: must be one of slack, json',
    );
    expect(problem([{ url_env: 'X', on: ['drift', 'deploy'] }])).toContain(
      'notifications.0.on.1: must be one of drift, sync_failed, approval_needed, sync_done',
    );
    expect(problem([{ url_env: 'X', on: [] }])).toContain('notifications.0.on: list at least one of');
    expect(problem([{ url_env: 'X', fromat: 'json' }])).toContain(
      'unknown field "fromat" (did you mean "format"?)',
    );
  });
});
