import type { CatalogApi } from '../contract.ts';
import type { ProductsRepository } from '../infrastructure/products-repository.ts';

/** The implementation of catalog's contract, handed to the modules that declared a dependency on catalog. */
export function makeCatalogApi({ productsRepository }: { productsRepository: ProductsRepository }): CatalogApi {
  return {
    async getProducts({ ids }) {
      const unique = [...new Set(ids)];
      const found = await productsRepository.findByIds(unique);
      const byId = new Map(found.map((product) => [product.id, product]));
      return {
        products: found.map(({ id, sku, name, priceCents, currency }) => ({ id, sku, name, priceCents, currency })),
        missing: unique.filter((id) => !byId.has(id)),
      };
    },
  };
}
