import { expect, it } from 'vitest';
import { requestIds } from './request-ids.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

it('names each request with a distinct v4-shaped UUID', () => {
  const next = requestIds();
  const ids = Array.from({ length: 1000 }, () => next());
  expect(new Set(ids).size).toBe(1000);
  for (const id of ids) expect(id).toMatch(UUID_V4);
});

it('gives two generators (two processes) different ids for their first requests', () => {
  expect(requestIds()()).not.toBe(requestIds()());
});
