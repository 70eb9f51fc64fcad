// What every page's script shares: JSON calls to Tessera with the CSRF token, problem details in
// people's words, and the status line. Credentials travel only in HttpOnly cookies.
export const $ = (id) => document.getElementById(id);

let csrfToken = null;

/** The CSRF token of the current credential (from login or GET /v1/session), sent on unsafe requests. */
export function useCsrf(token) {
  csrfToken = token;
}

/** Calls the API; a 202 (a login that needs a second factor) comes back marked `pending`. */
export async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (csrfToken && method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) throw Object.assign(new Error(describe(data)), { problem: data });
  return response.status === 202 ? { ...data, pending: true } : data;
}

function describe(problem) {
  if (!problem) return 'request failed';
  if (problem.code === 'reauthentication_required') return `${problem.title}: sign in again, then come back.`;
  const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ');
  return fields ? `${problem.title} (${fields})` : problem.title;
}

export function say(text, isError = false) {
  $('message').textContent = text;
  $('message').className = isError ? 'error' : '';
}
