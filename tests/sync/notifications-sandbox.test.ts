/**
 * Notifications end to end on the provider sandboxes, through `genesisctl`: a drift check sends
 * one Slack message (counts, names escaped, a link to the check), a sync whose writes all fail
 * sends `sync failed` and no `sync done`, a sync that writes sends `sync done` per target.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { startDemoSandbox } from '../../src/cli/sandbox-session.ts';
import type { SandboxSession } from '../../src/cli/sandbox-session.ts';
import { DEMO } from '../../src/sandbox/demo.ts';
import { slackReceiver } from './slack-receiver.ts';
import type { SlackReceiver } from './slack-receiver.ts';

const PAGE = 'https://envsync.example.com';
let session: SandboxSession;
let receiver: SlackReceiver;
let dir: string;

beforeEach(async () => {
  session = await startDemoSandbox();
  receiver = await slackReceiver();
  dir = await mkdtemp(path.join(tmpdir(), 'notify-'));
  await writeFile(
    path.join(dir, 'envsync.manifest.yaml'),
    [
      'source: render',
      'targets:',
      '  render: { provider: render }',
      '  web: { provider: netlify, context: all }',
      '  gh: { provider: github, store: secrets }',
      'policy: { exclude: [RENDER_, NETLIFY_] }',
      'notifications:',
      '  - { url_env: SLACK_WEBHOOK_URL, format: slack, on: [drift, sync_failed, sync_done] }',
    ].join('\n'),
  );
});
afterEach(async () => {
  await receiver.close();
  await session.close();
});

async function cli(...args: string[]) {
  let out = '';
  const code = await runCli(args, {
    env: { ...session.env, SLACK_WEBHOOK_URL: receiver.url, ENVSYNC_SITE_URL: PAGE },
    cwd: dir,
    stdout: (t) => (out += t),
    stderr: (t) => (out += t),
  });
  return { code, out };
}

const texts = () => receiver.received.map((r) => (r.payload as { text: string }).text);

describe('notifications on the sandbox', () => {
  it('a drift check sends one Slack message with counts, escaped names and a link to the check', async () => {
    session.sandbox.render.inspect.setEnvVar(DEMO.renderServiceId, '<!channel>', 'x');
    expect((await cli('env', 'audit')).code).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got?.problems).toEqual([]);
    const history = JSON.parse((await cli('--json', 'env', 'history')).out) as {
      items: { id: string; summary: { drifted: number; total_keys: number } }[];
    };
    const check = history.items[0];
    expect(texts()[0]).toContain(
      `keys drifted of ${check?.summary.total_keys}`.replace('keys', `${check?.summary.drifted} keys`),
    );
    expect(got?.raw).toContain(`${PAGE}/?view=check&amp;id=${check?.id}|Open the check>`);
    expect(got?.raw).toContain('&lt;!channel&gt;');
    expect(got?.mrkdwn.join('\n')).not.toContain('<!channel>');
  }, 60_000);

  it('a sync whose writes all fail sends sync failed, then a sync that writes sends sync done', async () => {
    const { netlify } = session.sandbox;
    netlify.faults = { rates: { '500': 1 }, match: { methods: ['POST', 'PATCH', 'PUT', 'DELETE'] } };
    const failed = await cli('env', 'sync', '--yes', '--target', 'web');
    expect(failed.code, failed.out).toBe(1);
    expect(texts()).toEqual([
      expect.stringMatching(/^Sync failed: sync from render failed: 0 written, \d+ failed/),
    ]);
    expect(receiver.received[0]?.problems).toEqual([]);

    netlify.faults = {};
    receiver.received.length = 0;
    const synced = await cli('env', 'sync', '--yes', '--target', 'web');
    expect(synced.code, synced.out).toBe(0);
    expect(texts()).toEqual([expect.stringMatching(/^Sync done: web: \d+ created, \d+ updated, 0 deleted /)]);
    expect(receiver.received[0]?.raw).toContain(`${PAGE}/?view=events&amp;correlation_id=`);
  }, 120_000);
});
