/** A problem answered by Tessera (RFC 9457), or a failure to reach it; `code` is stable. */
export interface ProblemField {
  field: string;
  code: string;
  message: string;
}

export class TesseraError extends Error {
  override readonly name = 'TesseraError';
  /** The problem's `code` (API.md), or `network_error` when no answer came. */
  readonly code: string;
  /** The HTTP status; 0 for a network error. */
  readonly status: number;
  /** Field errors of a `validation_failed`, when any. */
  readonly errors: ProblemField[];
  /** Seconds from `Retry-After`, when the server sent it. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, errors: ProblemField[] = [], retryAfter?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.retryAfter = retryAfter;
  }
}

/** Reads a problem answer without consuming the caller's response. */
export async function problemOf(response: Response): Promise<TesseraError> {
  let body: { code?: unknown; title?: unknown; detail?: unknown; errors?: unknown } = {};
  try {
    body = (await response.clone().json()) as typeof body;
  } catch {
    // Not JSON (a proxy's page): the status alone speaks.
  }
  const header = response.headers.get('www-authenticate') ?? '';
  const fromChallenge = /error="([a-z_]+)"/.exec(header)?.[1];
  const code = typeof body.code === 'string' ? body.code : (fromChallenge ?? `http_${response.status}`);
  const message = typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : `HTTP ${response.status}`;
  const retry = Number(response.headers.get('retry-after'));
  return new TesseraError(response.status, code, message, Array.isArray(body.errors) ? (body.errors as ProblemField[]) : [], Number.isFinite(retry) && retry > 0 ? retry : undefined);
}
