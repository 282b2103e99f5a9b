import { describe, expect, it } from 'vitest';
import { useProbeApp } from '../support/probe-app.ts';
import { probeSystem, type ProbeSystem } from '../support/probe-modules.ts';
import { sleep } from '../support/probe-views.ts';
import { waitFor } from '../support/wait-for.ts';

/** Every call of a probe handler, failed or not: which subscriber, which event, which attempt, and when. */
interface Call {
  subscriber: string;
  eventId: string;
  attempt: number;
  at: number;
  failed: boolean;
}

/** A probe system whose first subscriber throws for events whose note is in `faults`, recording every call. */
function faultyProbes(prefix: string) {
  const faults = new Set<string>();
  const calls: Call[] = [];
  // The handler runs long after probeSystem returns, so it may look at `probes`.
  const probes: ProbeSystem = probeSystem(prefix, 2, (event, subscriber) => {
    const failed = subscriber === probes.subscribers[0] && event.payload.note !== undefined && faults.has(event.payload.note);
    calls.push({ subscriber, eventId: event.id, attempt: event.attempt, at: performance.now(), failed });
    // The probe handler has already written its effect row when this throws: the row must be rolled back with it.
    if (failed) throw new Error(`injected fault: ${event.payload.note}`);
  });
  const callsOf = (subscriber: number, eventId: string) => calls.filter((call) => call.subscriber === probes.subscribers[subscriber] && call.eventId === eventId);
  return { probes, faults, calls, callsOf };
}

/** The probes' app for a describe block; `publish` sends one event in a transaction of its own. */
function useProbes(probes: ProbeSystem, env: Record<string, string>) {
  const { publish, sinks } = useProbeApp(probes, env);
  return {
    publish: async (n: number, key: string, note?: string): Promise<string> => (await publish(note === undefined ? { n, key } : { n, key, note }))[0]!,
    sinks,
  };
}

describe('a subscriber whose handler fails', () => {
  const { probes, faults, callsOf } = faultyProbes('fail');
  // Enough attempts that the fault, not the limit, decides when it succeeds.
  const { publish, sinks } = useProbes(probes, { EVENTS_RETRY_BASE_MS: '20', EVENTS_RETRY_MAX_MS: '200', EVENTS_MAX_ATTEMPTS: '1000' });

  it('is retried with backoff, its failures recorded, its writes rolled back, without redelivering to the other subscriber or holding it back', async () => {
    faults.add('flaky');
    const flaky = await publish(1, 'f1', 'flaky');

    // (a) parked for the failing subscriber, retried: attempts and the last error are recorded.
    await waitFor(async () => ((await sinks[0]!.parked({ eventId: flaky }))[0]?.attempts ?? 0) >= 3, { timeoutMs: 10_000, message: 'no retries recorded' });
    const parked = (await sinks[0]!.parked({ eventId: flaky }))[0]!;
    expect(parked.status).toBe('retrying');
    expect(parked.last_error).toContain('injected fault: flaky');
    expect(parked.next_attempt_at).toBeInstanceOf(Date);

    // (d) every failed attempt wrote its effect row before throwing; none of them is left.
    expect(callsOf(0, flaky).filter((call) => call.failed).length).toBeGreaterThanOrEqual(3);
    expect(await sinks[0]!.effects({ eventId: flaky })).toHaveLength(0);

    // (b) the other subscriber handled it once and is not run again.
    expect(await sinks[1]!.effects({ eventId: flaky })).toHaveLength(1);
    expect(callsOf(1, flaky)).toHaveLength(1);

    // (b) neither is held back: later events (of another key) reach both while the first still fails; one with the
    // failing key reaches the other subscriber and waits, for the failing one, behind the failed event.
    const later = [await publish(2, 'other', 'fine'), await publish(3, 'other', 'fine'), await publish(4, 'other', 'fine')];
    const sameKey = await publish(5, 'f1', 'fine');
    for (const sink of sinks) {
      await waitFor(async () => (await sink.effects({ key: 'other' })).length === 3, { timeoutMs: 5000, message: 'later events held back' });
    }
    await waitFor(async () => (await sinks[1]!.effects({ eventId: sameKey })).length === 1, { timeoutMs: 5000 });
    await waitFor(async () => (await sinks[0]!.parked({ eventId: sameKey }))[0]?.status === 'waiting', { timeoutMs: 5000 });
    expect(await sinks[0]!.effects({ eventId: sameKey })).toHaveLength(0);
    expect(((await sinks[0]!.parked({ eventId: flaky }))[0]!).status).toBe('retrying');
    for (const id of later) expect(callsOf(1, id)).toHaveLength(1);

    // Backoff: no retry comes sooner than the base delay after the attempt before it.
    const byAttempt = new Map<number, number[]>();
    for (const call of callsOf(0, flaky)) byAttempt.set(call.attempt, [...(byAttempt.get(call.attempt) ?? []), call.at]);
    const attempts = [...byAttempt.keys()].sort((a, b) => a - b);
    expect(attempts.slice(0, 3)).toEqual([1, 2, 3]);
    for (let i = 1; i < attempts.length; i++) {
      const previousEnded = Math.max(...byAttempt.get(attempts[i - 1]!)!);
      const started = Math.min(...byAttempt.get(attempts[i]!)!);
      expect(started - previousEnded, `attempt ${attempts[i]} came too soon`).toBeGreaterThanOrEqual(15);
    }

    // The fault clears: the next retry succeeds, once, and the event that waited behind it follows.
    faults.delete('flaky');
    await waitFor(async () => (await sinks[0]!.effects({ key: 'f1' })).length === 2, { timeoutMs: 5000, message: 'not handled once the fault cleared' });
    await sleep(300);
    const f1 = await sinks[0]!.effects({ key: 'f1' });
    expect(f1.map((effect) => effect.event_id)).toEqual([flaky, sameKey]);
    expect(f1[0]!.attempt).toBeGreaterThan(1);
    expect(f1[0]!.attempt).toBe(Math.max(...callsOf(0, flaky).map((call) => call.attempt)));
    expect(await sinks[0]!.parked()).toEqual([]);
    // Still once for the other subscriber, after all the retries.
    expect(await sinks[1]!.effects({ eventId: flaky })).toHaveLength(1);
    expect(callsOf(1, flaky)).toHaveLength(1);
    for (const sink of sinks) expect(await sink.stats()).toEqual({ rows: 5, distinct: 5 });
  });
});

describe('a delivery that keeps failing', () => {
  const MAX_ATTEMPTS = 3;
  const { probes, faults, callsOf } = faultyProbes('dead');
  const { publish, sinks } = useProbes(probes, { EVENTS_RETRY_BASE_MS: '20', EVENTS_RETRY_MAX_MS: '100', EVENTS_MAX_ATTEMPTS: String(MAX_ATTEMPTS) });

  it(`becomes a dead letter after ${MAX_ATTEMPTS} attempts, and is not tried again`, async () => {
    faults.add('poison');
    const poison = await publish(1, 'p1', 'poison');
    await waitFor(async () => (await sinks[0]!.parked({ eventId: poison }))[0]?.status === 'dead', { timeoutMs: 10_000, message: 'never dead-lettered' });
    const dead = (await sinks[0]!.parked({ eventId: poison }))[0]!;
    expect(dead.attempts).toBe(MAX_ATTEMPTS);
    expect(dead.last_error).toContain('injected fault: poison');
    expect(dead.next_attempt_at).toBeNull();
    expect(new Set(callsOf(0, poison).map((call) => call.attempt))).toEqual(new Set([1, 2, 3]));

    // Several retry periods later: not one more call, the dead letter unchanged, and no effect left by any attempt.
    const callsWhenDead = callsOf(0, poison).length;
    await sleep(500);
    expect(callsOf(0, poison)).toHaveLength(callsWhenDead);
    expect((await sinks[0]!.parked({ eventId: poison }))[0]).toEqual(dead);
    expect(await sinks[0]!.effects({ eventId: poison })).toHaveLength(0);
    // The other subscriber handled it, once.
    expect(await sinks[1]!.effects({ eventId: poison })).toHaveLength(1);
    expect(callsOf(1, poison)).toHaveLength(1);

    // Other keys still flow for the subscriber with the dead letter.
    const fine = await publish(2, 'p2', 'fine');
    for (const sink of sinks) await waitFor(async () => (await sink.effects({ eventId: fine })).length === 1, { timeoutMs: 5000 });
  });
});
