import { sql, type Transaction } from 'kysely';
import type { OrderHistoryTables } from './order-history.table.ts';

export interface ProjectionStateRepository {
  /** Notes that an event of this type, which happened at `occurredAt`, has been applied to the read model. */
  recordApplied(eventName: string, occurredAt: Date, trx: Transaction<OrderHistoryTables>): Promise<void>;
}

export function makeProjectionStateRepository(): ProjectionStateRepository {
  return {
    async recordApplied(eventName, occurredAt, trx) {
      await trx
        .insertInto('projection_state')
        .values({ event_name: eventName, last_event_at: occurredAt, applied_at: sql<Date>`now()` })
        .onConflict((conflict) =>
          conflict.column('event_name').doUpdateSet({
            last_event_at: sql<Date>`greatest(projection_state.last_event_at, excluded.last_event_at)`,
            applied_at: sql<Date>`excluded.applied_at`,
          }),
        )
        .execute();
    },
  };
}
