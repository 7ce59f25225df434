// Preloaded into netlify-cli by tests/providers/netlify-cli.test.ts (node --import). netlify-cli's
// config loader looks up the site's extensions on api.netlifysdk.com before any env command; that
// host is answered here with "no extensions", and every other host but loopback fails at once, so
// the test never reaches out. Requests to the sandbox (loopback) go through untouched.
/* global URL, Response */
const realFetch = globalThis.fetch;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

globalThis.fetch = async (input, init) => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
  if (url.hostname === 'api.netlifysdk.com')
    return new Response('[]', { status: 200, headers: { 'content-type': 'application/json' } });
  if (!LOOPBACK.has(url.hostname)) throw new TypeError(`offline test: ${url.hostname} is not reachable`);
  return realFetch(input, init);
};
