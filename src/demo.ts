import type { ModuleRouter } from '#platform/http/module-router.ts';
import type { Logger } from '#platform/logger.ts';

/** Products a fresh local install starts with, so the walkthrough in the README has something to order. */
const DEMO_PRODUCTS = [
  { sku: 'DEMO-MUG', name: 'Seams mug', priceCents: 1200, currency: 'EUR', onHand: 25 },
  { sku: 'DEMO-TEE', name: 'Seams T-shirt', priceCents: 2500, currency: 'EUR', onHand: 10 },
  { sku: 'DEMO-STICKER', name: 'Seams sticker pack', priceCents: 400, currency: 'EUR', onHand: 100 },
];

/**
 * Seeds the demo products through the app's own HTTP API (the same validation and events as any admin), once:
 * an install whose catalog already has products is left alone. Returns the demo products' ids (none when this process
 * does not run the catalog).
 */
export async function seedDemoData(app: ModuleRouter, adminToken: string, logger: Logger): Promise<string[]> {
  const headers = { authorization: `Bearer ${adminToken}` };
  const existing = await app.inject({ method: 'GET', url: '/catalog/products', query: { limit: '100' } });
  // A process of a split that does not run the catalog has nothing to seed.
  if (existing.statusCode === 404) return [];
  const known = new Map((existing.json<{ items: Array<{ id: string; sku: string }> }>().items ?? []).map((item) => [item.sku, item.id]));
  const ids: string[] = [];
  for (const product of DEMO_PRODUCTS) {
    let id = known.get(product.sku);
    if (!id) {
      const { onHand, ...body } = product;
      const created = await app.inject({ method: 'POST', url: '/catalog/products', headers, payload: body });
      if (created.statusCode !== 201) throw new Error(`Seeding ${product.sku} failed: ${created.statusCode} ${created.body}`);
      id = created.json<{ id: string }>().id;
      const stocked = await app.inject({ method: 'PUT', url: `/inventory/items/${id}`, headers, payload: { onHand } });
      if (stocked.statusCode >= 300) logger.warn({ sku: product.sku, status: stocked.statusCode }, 'could not stock a demo product');
      logger.info({ sku: product.sku, productId: id }, 'seeded demo product');
    }
    ids.push(id);
  }
  return ids;
}
