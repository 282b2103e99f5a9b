import { randomUUID } from 'node:crypto';

/**
 * Request ids for requests that bring none (`x-request-id`): UUID-shaped and unique, at the cost of a counter. Each
 * generator draws one random UUID and keeps its first 20 hex digits (74 random bits, with the version and variant
 * bits of a v4 UUID); the last 12 digits count the requests it has named. Ids are unique within a process by the
 * counter and across processes by the random part. A fresh randomUUID() per request cost a cheap read about 600 bytes
 * of garbage and half a microsecond (issue 13), for randomness a log correlation id does not need.
 */
export function requestIds(): () => string {
  const prefix = randomUUID().slice(0, 24);
  let count = 0;
  return () => {
    count += 1;
    return prefix + count.toString(16).padStart(12, '0');
  };
}
