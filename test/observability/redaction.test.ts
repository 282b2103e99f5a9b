import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { childWithStrings, createLogger } from '#platform/logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

it('redacts the authorization header, tokens, passwords and payment methods wherever they are logged', () => {
  const { lines, logger } = capture();
  logger.info({
    req: { headers: { authorization: 'Bearer eyJsecret', cookie: 'sid=secret' } },
    token: 'top-level-token',
    user: { password: 'hunter2' },
    command: { paymentMethod: 'tok_visa_4242' },
    event: { payload: { paymentMethod: 'tok_nested', orderId: 'o-1' } },
  }, 'something happened');
  const line = lines.join('\n');
  for (const secret of ['eyJsecret', 'sid=secret', 'top-level-token', 'hunter2', 'tok_visa_4242', 'tok_nested']) expect(line).not.toContain(secret);
  const entry = JSON.parse(lines[0]!);
  expect(entry.req.headers.authorization).toBe('[redacted]');
  expect(entry.event.payload.paymentMethod).toBe('[redacted]');
  // Redaction removes secrets, not the rest of the record.
  expect(entry.event.payload.orderId).toBe('o-1');
});

it('writes from a childWithStrings child the lines a pino child writes, redacted alike, and its children too', () => {
  const { lines, logger } = capture();
  const record = { user: { password: 'hunter2', name: 'ann' }, note: 'quote " and \\ backslash' };
  const bindings = { reqId: 'req-"1"', module: 'catalog' };
  logger.child(bindings).info(record, 'hello');
  childWithStrings(logger, bindings).info(record, 'hello');
  logger.child(bindings).child({ step: 2 }).warn(record, 'nested');
  childWithStrings(logger, bindings).child({ step: 2 }).warn(record, 'nested');
  const [byPino, byUs, nestedByPino, nestedByUs] = lines.map((line) => {
    const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
    return rest;
  });
  expect(byUs).toEqual(byPino);
  expect(nestedByUs).toEqual(nestedByPino);
  expect(byUs).toMatchObject({ reqId: 'req-"1"', module: 'catalog', user: { password: '[redacted]', name: 'ann' } });
  expect(nestedByUs).toMatchObject({ reqId: 'req-"1"', module: 'catalog', step: 2, user: { password: '[redacted]' } });
});
