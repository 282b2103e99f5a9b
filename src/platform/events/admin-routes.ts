import type { onRequestHookHandler } from 'fastify';
import Type from 'typebox';
import { NotFoundError } from '../errors.ts';
import type { ModuleRouter } from '../http/module-router.ts';
import { ProblemSchema } from '../http/problem.ts';
import type { EventAdmin } from './event-admin.ts';

const tags = ['admin: events'];
const errors = { 401: ProblemSchema, 403: ProblemSchema };

const StatusBody = Type.Object({
  module: Type.String(),
  subscription: Type.String(),
  event: Type.String(),
  version: Type.Integer(),
  partitions: Type.Integer(),
  pending: Type.Integer({ description: 'Events not read yet.' }),
  oldestUnhandledAgeMs: Type.Integer({ description: 'Age of the oldest event not yet handled; 0 when caught up.' }),
  handledLastMinute: Type.Integer({ description: 'Events handled in the last 60 seconds.' }),
  retrying: Type.Integer(),
  waiting: Type.Integer({ description: 'Events held back behind an earlier failed event with the same key.' }),
  dead: Type.Integer(),
});

/** What names a dead letter, whether it is waiting (parked) or was discarded. */
const letterIdentity = {
  id: Type.String(),
  module: Type.String(),
  subscription: Type.String(),
  eventId: Type.String(),
  event: Type.String(),
  version: Type.Integer(),
};

const DeadLetterBody = Type.Object({
  ...letterIdentity,
  key: Type.Union([Type.String(), Type.Null()]),
  payload: Type.Unknown(),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  occurredAt: Type.String(),
  parkedAt: Type.String(),
  lastFailedAt: Type.String({ description: 'When the last attempt failed.' }),
  waitingBehind: Type.Integer(),
});

const DiscardedBody = Type.Object({
  ...letterIdentity,
  lastError: Type.Union([Type.String(), Type.Null()]),
  discardedAt: Type.String(),
  discardedBy: Type.String(),
  reason: Type.String(),
});

const DeadLetterId = Type.Object({ id: Type.String({ pattern: '^[a-z0-9-]+:[0-9]+$' }) });

const Filter = Type.Object(
  { module: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), subscription: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
);

/** The admin API of the event bus: lag per subscription, dead letters, replay. */
export function eventAdminRoutes(app: ModuleRouter, admin: EventAdmin, options: { guard: onRequestHookHandler; wake: () => void }): void {
  // Checked before the input: a caller without a valid token learns nothing about what it sent.
  const onRequest = options.guard;

  app.get('/admin/events/subscriptions', { onRequest, schema: { tags, response: { 200: Type.Object({ subscriptions: Type.Array(StatusBody) }), ...errors } } }, async () => ({
    subscriptions: await admin.status(),
  }));

  app.get(
    '/admin/events/dead-letters',
    { onRequest, schema: { tags, querystring: Filter, response: { 200: Type.Object({ deadLetters: Type.Array(DeadLetterBody) }), 400: ProblemSchema, ...errors } } },
    async (request) => ({ deadLetters: await admin.deadLetters(request.query) }),
  );

  app.post(
    '/admin/events/dead-letters/:id/replay',
    {
      onRequest,
      schema: {
        tags,
        params: DeadLetterId,
        response: { 202: Type.Object({ replayed: Type.Integer() }), 400: ProblemSchema, 404: ProblemSchema, ...errors },
      },
    },
    async (request, reply) => {
      const replayed = await admin.replay({ id: request.params.id });
      if (replayed === 0) throw new NotFoundError('DEAD_LETTER_NOT_FOUND', `No dead letter ${request.params.id}`);
      options.wake();
      return reply.code(202).send({ replayed });
    },
  );

  app.post(
    '/admin/events/dead-letters/replay',
    { onRequest, schema: { tags, body: Type.Optional(Filter), response: { 202: Type.Object({ replayed: Type.Integer() }), 400: ProblemSchema, ...errors } } },
    async (request, reply) => {
      const replayed = await admin.replay(request.body ?? {});
      options.wake();
      return reply.code(202).send({ replayed });
    },
  );

  app.post(
    '/admin/events/dead-letters/:id/discard',
    {
      onRequest,
      schema: {
        tags,
        description: 'Throws a dead letter away with a reason (kept in the discarded list); the events waiting behind it move on.',
        params: DeadLetterId,
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ discarded: Type.Literal(true) }), 400: ProblemSchema, 404: ProblemSchema, ...errors },
      },
    },
    async (request) => {
      const discarded = await admin.discard(request.params.id, request.body.reason.trim() || request.body.reason, request.caller?.id ?? 'unknown');
      if (!discarded) throw new NotFoundError('DEAD_LETTER_NOT_FOUND', `No dead letter ${request.params.id}`);
      options.wake();
      return { discarded: true as const };
    },
  );

  app.get(
    '/admin/events/discarded',
    { onRequest, schema: { tags, description: 'The dead letters discarded most recently, newest first.', response: { 200: Type.Object({ discarded: Type.Array(DiscardedBody) }), ...errors } } },
    async () => ({ discarded: await admin.discarded() }),
  );
}
