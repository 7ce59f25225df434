/**
 * The drift scenario `npm start` and `genesisctl sandbox` seed: the seed's variables on all three
 * providers, drifted the way they drift in real life — some missing on GitHub, a conflicting
 * `REACT_APP_API_URL` on Netlify, an extra key on Render, a GitHub secret set by hand.
 */
import type { SandboxFixture } from './index.ts';

export const DEMO = {
  renderServiceId: 'srv-d3m0a1b2c3d4e5f6g7h8',
  netlifySiteId: 'b7c3d2e1-5a6f-4c1d-9e8f-0123456789ab',
  netlifyAccountId: '5f00000000000000000000d1',
  githubRepo: 'acme/web',
  tokens: {
    github: 'ghp_sandboxDemoToken000000000000',
    render: 'rnd_sandboxDemoKey0000000000',
    netlify: 'nfp_sandboxDemoToken0000000000',
  },
} as const;

export const DEMO_FIXTURE: SandboxFixture = {
  render: {
    services: [
      {
        id: DEMO.renderServiceId,
        name: 'acme-api',
        envVars: [
          { key: 'AUTO_DIAGNOSE', value: 'true' },
          { key: 'CORS_ALLOW_ALL', value: 'false' },
          { key: 'REACT_APP_API_URL', value: 'https://api.example.com' },
          { key: 'ALLOWED_ORIGINS', value: 'https://app.example.com,https://www.example.com' },
          { key: 'DEBUG', value: 'false' },
          { key: 'LEGACY_QUEUE_URL', value: 'redis://legacy.internal:6379' },
        ],
      },
    ],
  },
  netlify: {
    // Netlify variables live on the account, scoped to the site.
    accounts: [
      {
        id: DEMO.netlifyAccountId,
        slug: 'acme',
        name: 'Acme',
        envVars: [
          {
            key: 'REACT_APP_API_URL',
            site_id: DEMO.netlifySiteId,
            values: [{ context: 'all', value: 'https://staging-api.example.com' }],
          },
          { key: 'DEBUG', site_id: DEMO.netlifySiteId, values: [{ context: 'all', value: 'false' }] },
        ],
      },
    ],
    sites: [{ id: DEMO.netlifySiteId, name: 'acme-web', account_id: DEMO.netlifyAccountId }],
  },
  github: {
    repos: [
      {
        owner: 'acme',
        name: 'web',
        variables: [
          { name: 'REACT_APP_API_URL', value: 'https://api.example.com' },
          { name: 'DEBUG', value: 'false' },
        ],
        secrets: [{ name: 'DEPLOY_HOOK_TOKEN', value: 'set-by-hand-in-the-github-ui' }],
      },
    ],
  },
};
