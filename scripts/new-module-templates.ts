/**
 * The files `npm run new:module` writes, as functions of the module's names. Each follows the reference shop
 * (modules/catalog): the manifest, a light contract, a route, a use case, a repository with its table type, a domain
 * type, the first migration, and tests beside the code. Kept as template strings, not as .ts files, so that the type
 * checker, the linter and the boundary check never see half-filled code.
 */

export interface ModuleNames {
  /** kebab-case, as given: `order-history`. */
  readonly name: string;
  /** `orderHistory`: container names and variables. */
  readonly camel: string;
  /** `OrderHistory`: types. */
  readonly pascal: string;
  readonly owner: string;
  readonly description: string;
}

/** Every file of a new module, by path relative to the project root. */
export function moduleFiles(n: ModuleNames): Record<string, string> {
  return {
    [`modules/${n.name}/index.ts`]: manifest(n),
    [`modules/${n.name}/contract.ts`]: contract(n),
    [`modules/${n.name}/domain/example.ts`]: domain(),
    [`modules/${n.name}/infrastructure/examples.table.ts`]: table(n),
    [`modules/${n.name}/infrastructure/examples-repository.ts`]: repository(n),
    [`modules/${n.name}/application/example-use-cases.ts`]: useCases(),
    [`modules/${n.name}/application/${n.name}-api.ts`]: api(n),
    [`modules/${n.name}/application/${n.name}-api.test.ts`]: apiTest(n),
    [`modules/${n.name}/http/example-schemas.ts`]: schemas(),
    [`modules/${n.name}/http/examples-routes.ts`]: routes(n),
    [`modules/${n.name}/http/examples-routes.test.ts`]: routesTest(n),
    [`migrations/${n.name}/0001_create_examples.ts`]: migration(),
  };
}

const manifest = (n: ModuleNames) => `import { defineModule } from '#platform/modules/define-module.ts';
import { make${n.pascal}Api } from './application/${n.name}-api.ts';
import { makeCreateExample, makeGetExample } from './application/example-use-cases.ts';
import { ${n.camel}Contract } from './contract.ts';
import { examplesRoutes } from './http/examples-routes.ts';
import { makeExamplesRepository } from './infrastructure/examples-repository.ts';

export const ${n.camel}Module = defineModule({
  name: '${n.name}',
  // Shown in docs/modules.md and on the console's module map.
  description: ${JSON.stringify(n.description)},
  // Who reviews changes to this module: CODEOWNERS is generated from this list (npm run codeowners).
  owners: ['${n.owner}'],
  // Other modules this one calls or subscribes to, each with the reason a reviewer can argue with, e.g.
  // { catalog: 'prices an invoice line at the moment it is written' }. See docs/boundaries.md.
  dependsOn: {},
  contract: ${n.camel}Contract,
  api: make${n.pascal}Api,
  register: {
    examplesRepository: makeExamplesRepository,
    createExample: makeCreateExample,
    getExample: makeGetExample,
  },
  routes: examplesRoutes,
  // Events of other modules this one reacts to (declare the producer in dependsOn). One handler per file, in
  // events/on-<producer>-<event>.ts, declared against the event's definition in the producer's contract, which fixes
  // the version it takes; \`npm run check\` fails on a handler anywhere else. docs/events.md, "Where handlers live":
  //   // events/on-catalog-product-created.ts
  //   export const onCatalogProductCreated = subscribe(ProductCreated, ({ createExample }: Deps) => (event, trx) => ...);
  // subscriptions: [onCatalogProductCreated],
});
`;

const contract = (n: ModuleNames) => `import Type from 'typebox';
import { defineContract, type ContractApi } from '#platform/modules/contract.ts';

/** An example as other modules see it. */
export const ExampleSummary = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
});

/**
 * ${n.name}'s public API: the only way other modules reach it synchronously. Every method takes and returns plain
 * JSON described by TypeBox, so it can be served over HTTP when the module is extracted. Events it publishes go in
 * \`events\` (see modules/catalog/contract.ts).
 */
export const ${n.camel}Contract = defineContract({
  module: '${n.name}',
  methods: {
    getExamples: {
      description: 'The examples asked for, by id. Unknown ids are listed in \`missing\`, not thrown.',
      idempotent: true,
      input: Type.Object({ ids: Type.Array(Type.String({ format: 'uuid' }), { maxItems: 100 }) }, { additionalProperties: false }),
      output: Type.Object({ examples: Type.Array(ExampleSummary), missing: Type.Array(Type.String()) }),
    },
  },
});

export type ${n.pascal}Api = ContractApi<typeof ${n.camel}Contract>;
`;

const domain = () => `import { NotFoundError } from '#platform/errors.ts';

/** An example record, to be replaced by the module's first real concept. Plain TypeScript: no SQL, no HTTP. */
export interface Example {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface NewExample {
  readonly name: string;
}

export class ExampleNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('EXAMPLE_NOT_FOUND', \`Example \${id} does not exist\`, { exampleId: id });
  }
}
`;

const table = (n: ModuleNames) => `import type { Generated, Insertable, Selectable } from 'kysely';

/** The \`examples\` table, as migrations/${n.name}/0001_create_examples.ts creates it. */
export interface ExamplesTable {
  id: Generated<string>;
  name: string;
  created_at: Generated<Date>;
}

/** Every table of the module's schema: the type of its Kysely, \`ModuleDb<${n.pascal}Tables>\`. */
export interface ${n.pascal}Tables {
  examples: ExamplesTable;
}

export type ExampleRow = Selectable<ExamplesTable>;
export type NewExampleRow = Insertable<ExamplesTable>;
`;

const repository = (n: ModuleNames) => `import type { ModuleDb } from '#platform/db/module-database.ts';
import type { Example, NewExample } from '../domain/example.ts';
import type { ${n.pascal}Tables, ExampleRow } from './examples.table.ts';

export interface ExamplesRepository {
  insert(example: NewExample): Promise<Example>;
  findById(id: string): Promise<Example | undefined>;
  findByIds(ids: readonly string[]): Promise<Example[]>;
}

/** Reads and writes the module's own schema only: its Kysely runs under the module's role. */
export function makeExamplesRepository({ db }: { db: ModuleDb<${n.pascal}Tables> }): ExamplesRepository {
  return {
    async insert(example) {
      const row = await db.insertInto('examples').values({ name: example.name }).returningAll().executeTakeFirstOrThrow();
      return toExample(row);
    },

    async findById(id) {
      const row = await db.selectFrom('examples').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toExample(row);
    },

    async findByIds(ids) {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('examples').selectAll().where('id', 'in', ids).execute();
      return rows.map(toExample);
    },
  };
}

function toExample(row: ExampleRow): Example {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}
`;

const useCases = () => `import { ExampleNotFoundError, type Example, type NewExample } from '../domain/example.ts';
import type { ExamplesRepository } from '../infrastructure/examples-repository.ts';

type Deps = { examplesRepository: ExamplesRepository };

export type CreateExample = (example: NewExample) => Promise<Example>;

/**
 * Adds an example. A use case that also publishes an event writes both in one transaction: see makeCreateProduct in
 * modules/catalog/application/product-use-cases.ts.
 */
export function makeCreateExample({ examplesRepository }: Deps): CreateExample {
  return (example) => examplesRepository.insert(example);
}

export type GetExample = (id: string) => Promise<Example>;

export function makeGetExample({ examplesRepository }: Deps): GetExample {
  return async (id) => {
    const example = await examplesRepository.findById(id);
    if (!example) throw new ExampleNotFoundError(id);
    return example;
  };
}
`;

const api = (n: ModuleNames) => `import type { ${n.pascal}Api } from '../contract.ts';
import type { ExamplesRepository } from '../infrastructure/examples-repository.ts';

/** The implementation of ${n.name}'s contract, handed to the modules that declare a dependency on ${n.name}. */
export function make${n.pascal}Api({ examplesRepository }: { examplesRepository: ExamplesRepository }): ${n.pascal}Api {
  return {
    async getExamples({ ids }) {
      const unique = [...new Set(ids)];
      const found = await examplesRepository.findByIds(unique);
      const foundIds = new Set(found.map((example) => example.id));
      return {
        examples: found.map(({ id, name }) => ({ id, name })),
        missing: unique.filter((id) => !foundIds.has(id)),
      };
    },
  };
}
`;

const apiTest = (n: ModuleNames) => `import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { useModule } from '#testing';

// The module booted alone, on a database of its own, with a stub of each module it depends on: see docs/testing.md
// (scripting stubs, injecting their events, waiting for what follows with a scenario).
const ${n.camel} = useModule('${n.name}', { dependencies: 'stubbed' });

it('getExamples returns the examples asked for, once each, and lists unknown ids as missing', async () => {
  const example = await ${n.camel}.deps.createExample({ name: 'First' });
  const unknown = randomUUID();

  const result = await ${n.camel}.api.getExamples({ ids: [example.id, unknown, example.id] });

  expect(result).toEqual({ examples: [{ id: example.id, name: 'First' }], missing: [unknown] });
});
`;

const schemas = () => `import Type from 'typebox';

export const ExampleBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const CreateExampleBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export const ExampleParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
`;

const routes = (n: ModuleNames) => `import type { ModuleRouter } from '#platform/http/module-router.ts';
import { ProblemSchema } from '#platform/http/problem.ts';
import { adminOnly } from '#platform/http/auth.ts';
import type { CreateExample, GetExample } from '../application/example-use-cases.ts';
import type { Example } from '../domain/example.ts';
import { CreateExampleBody, ExampleBody, ExampleParams } from './example-schemas.ts';

type Deps = { createExample: CreateExample; getExample: GetExample };

const tags = ['${n.name}'];
const security = [{ bearerAuth: [] }];

/** Thin handlers: the schema validates, one use case does the work, the response schema shapes the answer. */
export function examplesRoutes(app: ModuleRouter, { createExample, getExample }: Deps): void {
  app.post(
    '/${n.name}/examples',
    { onRequest: adminOnly, schema: { tags, security, body: CreateExampleBody, response: { 201: ExampleBody, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema } } },
    async (request, reply) => {
      const example = await createExample(request.body);
      return reply.code(201).header('location', \`/${n.name}/examples/\${example.id}\`).send(toBody(example));
    },
  );

  app.get('/${n.name}/examples/:id', { schema: { tags, params: ExampleParams, response: { 200: ExampleBody, 400: ProblemSchema, 404: ProblemSchema } } }, async (request) =>
    toBody(await getExample(request.params.id)),
  );
}

function toBody(example: Example) {
  return { ...example, createdAt: example.createdAt.toISOString() };
}
`;

const routesTest = (n: ModuleNames) => `import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useModule } from '#testing';
import { tokens } from '../../../test/support/test-app.ts';

// The harness owns the lifecycle (docs/testing.md): the handle is the app (\`app.inject\`) once it is built.
const app = useModule('${n.name}', { dependencies: 'stubbed' });
let admin: { authorization: string };
beforeAll(() => {
  admin = tokens(app).admin;
});

describe('POST /${n.name}/examples', () => {
  it('creates an example and answers 201 with its address, where it can be read back', async () => {
    const response = await app.inject({ method: 'POST', url: '/${n.name}/examples', headers: admin, payload: { name: 'First' } });

    expect(response.statusCode, response.body).toBe(201);
    const example = response.json<{ id: string; name: string }>();
    expect(example.name).toBe('First');
    expect(response.headers.location).toBe(\`/${n.name}/examples/\${example.id}\`);
    const read = await app.inject({ method: 'GET', url: response.headers.location! });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(example);
  });

  it('answers 400 problem+json naming the field when the name is empty', async () => {
    const response = await app.inject({ method: 'POST', url: '/${n.name}/examples', headers: admin, payload: { name: '' } });

    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().errors.map((error: { field: string }) => error.field)).toContain('body.name');
  });

  it('answers 401 without a token and 403 with a customer token', async () => {
    const anonymous = await app.inject({ method: 'POST', url: '/${n.name}/examples', payload: { name: 'First' } });
    const customer = await app.inject({ method: 'POST', url: '/${n.name}/examples', headers: tokens(app).customer, payload: { name: 'First' } });

    expect(anonymous.statusCode).toBe(401);
    expect(customer.statusCode).toBe(403);
  });
});

describe('GET /${n.name}/examples/:id', () => {
  it('answers 404 problem+json with a stable code for an unknown id', async () => {
    const response = await app.inject({ method: 'GET', url: \`/${n.name}/examples/\${randomUUID()}\` });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ status: 404, code: 'EXAMPLE_NOT_FOUND' });
  });
});
`;

const migration = () => `import { sql, type Kysely } from 'kysely';

// Frozen in time: migrations use Kysely<any> and import no app code. They run under the module's own role, in its
// own schema, so they cannot touch another module's tables.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('examples')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql\`gen_random_uuid()\`))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('created_at', sql\`timestamptz(3)\`, (col) => col.notNull().defaultTo(sql\`now()\`))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('examples').execute();
}
`;
