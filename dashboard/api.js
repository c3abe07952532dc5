// dashboard/api.js — the admin API client: the admin token as a Bearer header, nothing else.
//
// `auth.token` is null before sign-in, '' when the admin API is open (no admin_token).
export const auth = { token: null };

// ---- admin API ---------------------------------------------------------------------------
export class AuthError extends Error {}
export async function api(path, options = {}, authToken = auth.token) {
  const headers = { Accept: 'application/json' };
  if (authToken) headers.Authorization = 'Bearer ' + authToken;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method: options.method || 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    cache: 'no-store',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
  });
  let body = null;
  try { body = await res.json(); } catch (_) { body = null; }
  if (res.status === 401) throw new AuthError(messageOf(body) || 'unauthorized');
  return { status: res.status, ok: res.ok, body };
}
export function messageOf(body) { return body && body.error && body.error.message ? String(body.error.message) : ''; }
export async function apiOk(path, options) {
  const r = await api(path, options);
  if (!r.ok) throw new Error(`${path}: ${messageOf(r.body) || 'HTTP ' + r.status}`);
  return r.body;
}
