import type { FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { ValidationFailedError } from '../errors';

/**
 * Integer query parameters (`?limit=20`) must be plain decimal digits.
 *
 * Ajv's type coercion (app.ts: `coerceTypes`) converts a query string with
 * `+value`, so it takes "Infinity", "1e309" or a 400-digit number for the
 * number Infinity; with Ajv's `strictNumbers` (on by default) it then skips
 * the `minimum`/`maximum` checks of that non-finite value, and
 * `GET /v1/exports?limit=Infinity` reached DynamoDB, which answered the
 * `Limit` with an error: a 500. It also reads "0x10", "1e1" and " 5" as
 * numbers. This hook looks at the raw strings before the schema does and
 * answers 400 validation_failed for anything but `-?[0-9]{1,15}` (every
 * safe integer fits in 15 digits; the schema's range checks do the rest).
 * It applies to every route whose querystring schema has integer properties,
 * so a new one is covered without thinking of it.
 */

const DECIMAL_INTEGER = /^-?[0-9]{1,15}$/;

interface QuerySchema {
  readonly properties?: Readonly<Record<string, { readonly type?: unknown }>>;
}

function integerParameters(route: RouteOptions): string[] {
  const querystring = (route.schema as { querystring?: QuerySchema } | undefined)?.querystring;
  return Object.entries(querystring?.properties ?? {})
    .filter(([, property]) => property.type === 'integer' || (Array.isArray(property.type) && property.type.includes('integer')))
    .map(([name]) => name);
}

function checkIntegers(names: readonly string[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const query = request.query as Record<string, unknown>;
    const errors = names.flatMap((name) => {
      const raw = query[name];
      // Repeated (`?limit=1&limit=2`) arrives as an array; the schema rejects more than one.
      const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      return values.every((value) => typeof value === 'string' && DECIMAL_INTEGER.test(value))
        ? []
        : [{ in: 'querystring', field: name, message: 'must be an integer written in decimal digits' }];
    });
    if (errors.length > 0) throw new ValidationFailedError(errors);
  };
}

export default fp(
  async (app) => {
    app.addHook('onRoute', (route) => {
      const names = integerParameters(route);
      if (names.length === 0) return;
      const existing =
        route.preValidation === undefined ? [] : Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation];
      route.preValidation = [checkIntegers(names), ...existing] as RouteOptions['preValidation'];
    });
  },
  { name: 'query-integers' },
);
