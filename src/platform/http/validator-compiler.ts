import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';

/**
 * Validates request parts with TypeBox's compiled checker. Unlike the stock TypeBox compiler it also fills in schema
 * defaults (so `?limit` may be left out), and converts strings only where HTTP leaves no choice: the query string,
 * path params and headers. A JSON body must already have the right types.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const checker = Compile(schema);
  const convert = httpPart !== 'body';
  return (input: unknown) => {
    const withDefaults = Value.Default(schema, input);
    const value = convert ? Value.Convert(schema, withDefaults) : withDefaults;
    if (checker.Check(value)) return { value };
    return { error: checker.Errors(value) as never };
  };
};
