/** A client of running Tessera servers, as the cross-process tests drive them. */

export const PASSWORD = 'correct horse battery staple';

export const call = (url: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Response> =>
  fetch(url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

export const json = async (response: Response): Promise<{ status: number; body: Record<string, unknown> }> => ({
  status: response.status,
  body: (await response.json().catch(() => null)) as Record<string, unknown>,
});

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
export const cookie = (value: string): Record<string, string> => ({ cookie: `__Host-tessera_session=${value}` });

/** A cookie session: its value and its CSRF token. */
export async function login(url: string, username: string, password = PASSWORD): Promise<{ cookie: string; csrf: string }> {
  const res = await call(url, 'POST', '/v1/session', {}, { username, password });
  const value = /__Host-tessera_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
  return { cookie: value, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
}

/** A token pair, body transport. */
export async function tokens(url: string, username: string, password = PASSWORD): Promise<{ access: string; refresh: string }> {
  const res = await json(await call(url, 'POST', '/v1/tokens', {}, { username, password }));
  return { access: res.body.access_token as string, refresh: res.body.refresh_token as string };
}
