import { subscribe } from '#platform/events/subscription.ts';
import { ProductCreated } from '../../catalog/contract.ts';
import type { ProductNamesRepository } from '../infrastructure/product-names-repository.ts';
import type { ProjectionStateRepository } from '../infrastructure/projection-state-repository.ts';

/** A product was added to the catalog: its name, for the order lines that list it. */
export const onCatalogProductCreated = subscribe(
  ProductCreated,
  ({ productNamesRepository, projectionStateRepository }: { productNamesRepository: ProductNamesRepository; projectionStateRepository: ProjectionStateRepository }) =>
    async (event, trx) => {
      await productNamesRepository.rename(event.payload.productId, event.payload.name, event.occurredAt, trx);
      await projectionStateRepository.recordApplied(event.name, event.occurredAt, trx);
    },
);
