/** The sandbox for the memory benchmark, in its own process: 3 targets × 200 keys; prints the env as JSON. */
import path from 'node:path';
import { startSandbox } from '../../src/sandbox/index.ts';

const keys = Array.from({ length: 200 }, (_, i) => ({ key: `KEY_${i}`, value: `value-${i}` }));
const sandbox = await startSandbox({
  fixture: {
    render: { services: [{ id: 'srv-memory0000000000000', name: 'm', envVars: keys }] },
    netlify: {
      accounts: [
        {
          id: '5f00000000000000000000e1',
          slug: 'm',
          envVars: keys.map((k) => ({
            ...k,
            site_id: 'b7c3d2e1-5a6f-4c1d-9e8f-0000000000e1',
            values: [{ context: 'all' as const, value: k.value }],
          })),
        },
      ],
      sites: [
        { id: 'b7c3d2e1-5a6f-4c1d-9e8f-0000000000e1', name: 'm', account_id: '5f00000000000000000000e1' },
      ],
    },
    github: {
      repos: [
        { owner: 'acme', name: 'memory', variables: keys.map((k) => ({ name: k.key, value: k.value })) },
      ],
    },
  },
  github: { tokens: ['ghp_mem'] },
  render: { tokens: ['rnd_mem'] },
  netlify: { tokens: ['nfp_mem'] },
});
process.stdout.write(
  `${JSON.stringify({
    GITHUB_API_URL: sandbox.github.url,
    GITHUB_TOKEN: 'ghp_mem',
    GITHUB_REPO: 'acme/memory',
    RENDER_API_URL: sandbox.render.url,
    RENDER_API_KEY: 'rnd_mem',
    RENDER_SERVICE_ID: 'srv-memory0000000000000',
    NETLIFY_API_URL: sandbox.netlify.url,
    NETLIFY_AUTH_TOKEN: 'nfp_mem',
    NETLIFY_SITE_ID: 'b7c3d2e1-5a6f-4c1d-9e8f-0000000000e1',
    NETLIFY_ACCOUNT_ID: '5f00000000000000000000e1',
    ENVSYNC_MANIFEST: path.resolve('tests/bench/memory.manifest.yaml'),
  })}\n`,
);
