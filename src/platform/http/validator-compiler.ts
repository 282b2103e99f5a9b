import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';

/**
 * Validates request parts with TypeBox's compiled checker. Unlike the stock TypeBox compiler it also fills in schema
 * defaults (so `?limit` may be left out), and converts strings only where HTTP leaves no choice: the query string,
 * path params and headers. A JSON body must already have the right types.
 *
 * The compiled check runs first: most input is already right, and the interpreted Default and Convert passes cost a
 * cheap read several microseconds (docs/benchmarks-history.md, "Where the read's gap goes"). They run only when the
 * check fails, or always when the schema has defaults to fill in (input without them may pass the check).
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const checker = Compile(schema);
  const convert = httpPart !== 'body';
  const integers = convert ? integerProperties(schema) : [];
  const fillsDefaults = hasDefaults(schema);
  return (input: unknown) => {
    // Conversion would read "1.5" as 1, "" as 0 and "0x10" as 16; an integer in a URL must be written as one.
    for (const name of integers) {
      const raw = (input as Record<string, unknown> | undefined)?.[name];
      if (typeof raw === 'string' && !/^-?\d+$/.test(raw)) {
        return { error: [{ instancePath: `/${name}`, schemaPath: `#/properties/${name}`, keyword: 'type', params: { type: 'integer' }, message: 'must be integer' }] as never };
      }
    }
    if (!fillsDefaults && checker.Check(input)) return { value: input };
    const withDefaults = Value.Default(schema, input);
    const value = convert ? Value.Convert(schema, withDefaults) : withDefaults;
    if (checker.Check(value)) return { value };
    return { error: checker.Errors(value) as never };
  };
};

function integerProperties(schema: TSchema): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.entries(properties)
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name);
}

/** Whether any part of the schema declares a `default` (TypeBox schemas are plain JSON Schema objects). */
function hasDefaults(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.some(hasDefaults);
  if (!schema || typeof schema !== 'object') return false;
  return 'default' in schema || Object.values(schema).some(hasDefaults);
}
