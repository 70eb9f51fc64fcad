import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * The served OpenAPI document as a contract that every response of the HTTP suites must meet: its
 * path and method, its status, its media type and its body, checked with an independent validator
 * (Ajv, JSON Schema 2020-12, strict mode). An undocumented status, media type or shape fails the test
 * that produced it.
 */

interface MediaType {
  schema?: unknown;
}
interface Response {
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, Response>;
}
export interface Document {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

/** Served, but not API: the pages, the document itself and its viewer. */
const UNDOCUMENTED = [/^\/$/, /^\/app\.(js|css)$/, /^\/favicon\.ico$/, /^\/docs(\/|$)/, /^\/openapi\.json$/, /^\/web\//];

const PROBLEM = 'application/problem+json';

export class Conformance {
  readonly #doc: Document;
  readonly #ajv: Ajv2020;
  readonly #compiled = new Map<string, ValidateFunction>();
  readonly #paths: Array<{ template: string; pattern: RegExp }>;
  /** How many responses were checked: a test can prove the checker ran. */
  checked = 0;

  constructor(doc: Document) {
    this.#doc = doc;
    this.#ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
    addFormats.default(this.#ajv);
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) this.#ajv.addSchema(schema as object, `#/components/schemas/${name}`);
    this.#paths = Object.keys(doc.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  static async of(app: FastifyInstance): Promise<Conformance> {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    return new Conformance(res.json() as Document);
  }

  /** Null when the response meets the document; otherwise what is wrong. */
  problem(method: string, url: string, res: LightMyRequestResponse): string | null {
    const path = url.split('?')[0] ?? url;
    if (UNDOCUMENTED.some((pattern) => pattern.test(path))) return null;
    this.checked++;
    const where = `${method} ${path} → ${res.statusCode}`;
    const template = this.#paths.find((p) => p.pattern.test(path))?.template;
    // HEAD is GET without the content (RFC 9110 §9.3.2): Fastify answers it for every GET route.
    const head = method === 'HEAD';
    const operation = template === undefined ? undefined : this.#doc.paths[template]?.[head ? 'get' : method.toLowerCase()];
    // A CORS preflight that passes: 204, nothing else, the same for every path (CORS, not an operation).
    if (method === 'OPTIONS' && res.statusCode === 204) return res.body === '' ? null : `${where}: a preflight with a body`;
    // An unknown route, a method the route has not, a refused preflight: a 4xx problem, the same for every path.
    if (!operation) {
      if (res.statusCode < 400 || res.statusCode >= 500) return `${where}: not in the OpenAPI document`;
      const type = String(res.headers['content-type'] ?? '').split(';', 1)[0]?.trim();
      if (type !== PROBLEM) return `${where}: ${type} instead of ${PROBLEM}`;
      return head ? this.#empty(where, res) : this.#body(where, PROBLEM, { $ref: '#/components/schemas/Problem' }, res);
    }
    const status = String(res.statusCode);
    const documented = operation.responses[status] ?? operation.responses[`${status[0]}XX`];
    if (!documented) return `${where}: status not documented (${Object.keys(operation.responses).join(', ')})`;
    const type = String(res.headers['content-type'] ?? '').split(';', 1)[0]?.trim() ?? '';
    if (!documented.content) return res.body === '' ? null : `${where}: documented without a body, answered ${type}`;
    const media = documented.content[type];
    if (!media) return `${where}: media type ${type || '(none)'} not documented (${Object.keys(documented.content).join(', ')})`;
    if (head) return this.#empty(where, res);
    return media.schema ? this.#body(where, type, media.schema as Record<string, unknown>, res) : null;
  }

  #empty(where: string, res: LightMyRequestResponse): string | null {
    return res.body === '' ? null : `${where}: HEAD answered with content`;
  }

  #body(where: string, type: string, schema: Record<string, unknown>, res: LightMyRequestResponse): string | null {
    if (type !== 'application/json' && type !== PROBLEM) return typeof schema.type === 'string' && schema.type !== 'string' ? `${where}: ${type} for a ${schema.type} schema` : null;
    const key = JSON.stringify(schema);
    let validate = this.#compiled.get(key);
    if (!validate) {
      validate = this.#ajv.compile(schema);
      this.#compiled.set(key, validate);
    }
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      return `${where}: the body is not JSON`;
    }
    return validate(body) ? null : `${where}: the body does not match: ${this.#ajv.errorsText(validate.errors)} in ${res.body.slice(0, 300)}`;
  }
}

/** Makes every `app.inject` of the app check its answer against the app's own OpenAPI document. */
export async function enforceOpenApi(app: FastifyInstance): Promise<Conformance> {
  const conformance = await Conformance.of(app);
  const inject = app.inject.bind(app) as (options: InjectOptions) => Promise<LightMyRequestResponse>;
  const checked = async (options: InjectOptions | string): Promise<LightMyRequestResponse> => {
    const opts = typeof options === 'string' ? { url: options } : options;
    const res = await inject(opts);
    const url = typeof opts.url === 'string' ? opts.url : String(opts.path ?? '');
    const problem = conformance.problem(opts.method ?? 'GET', url, res);
    if (problem) throw new Error(`The answer breaks the OpenAPI document: ${problem}`);
    return res;
  };
  (app as unknown as { inject: typeof checked }).inject = checked;
  return conformance;
}
