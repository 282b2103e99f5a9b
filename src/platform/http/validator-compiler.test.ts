import { expect, it } from 'vitest';
import Type from 'typebox';
import { validatorCompiler } from './validator-compiler.ts';

const compile = (schema: Parameters<typeof validatorCompiler>[0]['schema'], httpPart: string) => validatorCompiler({ schema, httpPart, method: 'GET', url: '/x' });

it('passes input that already checks through as it is, without the Default/Convert passes', () => {
  const params = { id: '0b0f7d4e-0000-4000-8000-000000000000' };
  const result = compile(Type.Object({ id: Type.String({ format: 'uuid' }) }), 'params')(params) as { value?: unknown };
  expect(result.value).toBe(params);
});

it('still fills in defaults when the input checks without them, and converts URL strings when the check fails', () => {
  const query = compile(Type.Object({ limit: Type.Integer({ default: 20 }), flag: Type.Optional(Type.Boolean()) }), 'querystring');
  expect(query({})).toEqual({ value: { limit: 20 } });
  expect(query({ limit: '5', flag: 'true' })).toEqual({ value: { limit: 5, flag: true } });
  expect((query({ limit: '1.5' }) as { error?: unknown }).error).toBeDefined();
});

it('does not convert a JSON body: a string where a number belongs is an error', () => {
  const body = compile(Type.Object({ quantity: Type.Integer() }), 'body');
  expect((body({ quantity: '2' }) as { error?: unknown }).error).toBeDefined();
  expect(body({ quantity: 2 })).toEqual({ value: { quantity: 2 } });
});
