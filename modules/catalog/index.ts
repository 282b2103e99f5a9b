import { defineModule } from '#platform/modules/define-module.ts';
import { makeCatalogApi } from './application/catalog-api.ts';
import { makeCreateProduct, makeGetProduct, makeListProducts, makeUpdateProduct } from './application/product-use-cases.ts';
import { catalogContract } from './contract.ts';
import { productsRoutes } from './http/products-routes.ts';
import { makeProductsRepository } from './infrastructure/products-repository.ts';

export const catalogModule = defineModule({
  name: 'catalog',
  description: 'Products and their current prices.',
  owners: ['@seams/catalog-team'],
  dependsOn: {},
  contract: catalogContract,
  api: makeCatalogApi,
  register: {
    productsRepository: makeProductsRepository,
    createProduct: makeCreateProduct,
    getProduct: makeGetProduct,
    listProducts: makeListProducts,
    updateProduct: makeUpdateProduct,
  },
  routes: productsRoutes,
});
