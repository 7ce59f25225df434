// The JSON API, with the token from sessionStorage. Errors carry the HTTP status and the API's code.

const TOKEN_KEY = 'envsync.token';

export const getToken = () => sessionStorage.getItem(TOKEN_KEY) ?? '';
export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** GET /api/<path>?<params> (empty params are left out). */
export async function api(path, params = {}) {
  const token = getToken();
  if (!token) throw new ApiError(0, 'no_token', 'No API token yet.');
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') query.set(k, String(v));
  const url = `/api/${path}${query.size ? `?${query}` : ''}`;
  let res;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  } catch {
    throw new ApiError(0, 'network', 'The API could not be reached.');
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: described by the status below
  }
  if (!res.ok) {
    const error = body?.error;
    throw new ApiError(
      res.status,
      error?.code ?? 'http_error',
      error?.message ?? `The API answered ${res.status}.`,
    );
  }
  return body;
}
