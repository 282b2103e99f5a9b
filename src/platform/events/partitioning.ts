import { sql, type RawBuilder } from 'kysely';

/**
 * The partition of an outbox row (aliased `alias`): by hash of its key, or of its id when it has none. The hash is
 * widened to bigint before abs(): abs(-2^31) does not fit an int4, and one such key would fail every batch.
 */
export function partitionOf(alias: string, partitions: number): RawBuilder<number> {
  return sql<number>`mod(abs(hashtext(coalesce(${sql.ref(`${alias}.key`)}, ${sql.ref(`${alias}.id`)}::text))::bigint), ${partitions})`;
}
