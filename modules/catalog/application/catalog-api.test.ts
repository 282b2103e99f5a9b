import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { useModule } from '#testing';
import { tokens } from '../../../test/support/test-app.ts';
import type { CatalogApi } from '../contract.ts';

const app = useModule('catalog', { dependencies: 'real' });
let catalogApi: CatalogApi;
beforeAll(async () => {
  catalogApi = app.module('catalog').api;
});

it('getProducts returns the current name and price of each product, and lists unknown ids as missing', async () => {
  const created = await app.inject({ method: 'POST', url: '/catalog/products', headers: tokens(app).admin, payload: { sku: `C-${randomUUID().slice(0, 8)}`, name: 'Tea', priceCents: 300, currency: 'GBP' } });
  const product = created.json<{ id: string; sku: string }>();
  await app.inject({ method: 'PATCH', url: `/catalog/products/${product.id}`, headers: tokens(app).admin, payload: { priceCents: 350 } });
  const unknown = randomUUID();

  const result = await catalogApi.getProducts({ ids: [product.id, unknown, product.id] });

  expect(result.products).toEqual([{ id: product.id, sku: product.sku, name: 'Tea', priceCents: 350, currency: 'GBP' }]);
  expect(result.missing).toEqual([unknown]);
});

it('getProducts with no ids returns nothing without touching the database', async () => {
  expect(await catalogApi.getProducts({ ids: [] })).toEqual({ products: [], missing: [] });
});
