import type { ModuleRouter } from '#platform/http/module-router.ts';
import { ProblemSchema } from '#platform/http/problem.ts';
import { adminOnly } from '#platform/http/auth.ts';
import type { CreateProduct, GetProduct, ListProducts, UpdateProduct } from '../application/product-use-cases.ts';
import type { Product } from '../domain/product.ts';
import { CreateProductBody, ListProductsQuery, ProductBody, ProductPageBody, ProductParams, UpdateProductBody } from './product-schemas.ts';

type Deps = { createProduct: CreateProduct; getProduct: GetProduct; listProducts: ListProducts; updateProduct: UpdateProduct };

const tags = ['catalog'];
const security = [{ bearerAuth: [] }];

export function productsRoutes(app: ModuleRouter, { createProduct, getProduct, listProducts, updateProduct }: Deps): void {
  app.post(
    '/catalog/products',
    { onRequest: adminOnly, schema: { tags, security, body: CreateProductBody, response: { 201: ProductBody, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 409: ProblemSchema } } },
    async (request, reply) => {
      const product = await createProduct(request.body);
      return reply.code(201).header('location', `/catalog/products/${product.id}`).send(toBody(product));
    },
  );

  app.get('/catalog/products/:id', { schema: { tags, params: ProductParams, response: { 200: ProductBody, 400: ProblemSchema, 404: ProblemSchema } } }, async (request) =>
    toBody(await getProduct(request.params.id)),
  );

  app.get('/catalog/products', { schema: { tags, querystring: ListProductsQuery, response: { 200: ProductPageBody, 400: ProblemSchema } } }, async (request) => {
    const page = await listProducts(request.query);
    return { items: page.items.map(toBody), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });

  app.patch(
    '/catalog/products/:id',
    {
      onRequest: adminOnly,
      schema: { tags, security, params: ProductParams, body: UpdateProductBody, response: { 200: ProductBody, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema } },
    },
    async (request) => toBody(await updateProduct(request.params.id, request.body)),
  );
}

function toBody(product: Product) {
  return { ...product, createdAt: product.createdAt.toISOString(), updatedAt: product.updatedAt.toISOString() };
}
