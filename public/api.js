// The JSON API, with the token from sessionStorage. Errors carry the HTTP status, the API's code
// and the rest of its error body (a stale plan's keys, for one).

const TOKEN_KEY = 'envsync.token';

export const getToken = () => sessionStorage.getItem(TOKEN_KEY) ?? '';
export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function call(method, path, params, body) {
  const token = getToken();
  if (!token) throw new ApiError(0, 'no_token', 'No API token yet.');
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') query.set(k, String(v));
  const url = `/api/${path}${query.size ? `?${query}` : ''}`;
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'The API could not be reached.');
  }
  let answer = null;
  try {
    answer = await res.json();
  } catch {
    // not JSON: described by the status below
  }
  if (!res.ok) {
    const error = answer?.error;
    throw new ApiError(
      res.status,
      error?.code ?? 'http_error',
      error?.message ?? `The API answered ${res.status}.`,
      error ?? {},
    );
  }
  return answer;
}

/** GET /api/<path>?<params> (empty params are left out). */
export const api = (path, params = {}) => call('GET', path, params);

/** POST /api/<path> with a JSON body; resolves to the answer (202s included). */
export const post = (path, body = {}) => call('POST', path, {}, body);
