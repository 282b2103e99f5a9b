import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as EventContracts from '../../scripts/event-contracts.ts';
import { copyProject, editFile, projectRoot, runScript, type ScriptRun } from '../support/project-copy.ts';

/**
 * The event contracts' checks (scripts/event-contracts.ts), each case planted into a copy of the project: every kind
 * of breaking change to a frozen version is refused by --check and by --write with a message naming the event, the
 * field and the change; every compatible kind fails --check until --write records it, saying which kind it was; a
 * subscriber whose version lost its downcast, and a handler outside its place, fail --check.
 *
 * The script runs in-process on each copy (its `eventContracts`, from the copy's own scripts/event-contracts.ts, so on
 * the copy's modules): starting node for each of the ~30 runs took most of this file's CPU. The misplaced-handler case
 * runs the CLI itself (`node scripts/event-contracts.ts --check`, as npm run check does), for its arguments, output
 * and exit code.
 */

const SCRIPT = 'scripts/event-contracts.ts';
const copies: Array<() => Promise<void>> = [];
afterAll(() => Promise.all(copies.map((remove) => remove())));

type Edit = readonly [file: string, from: string, to: string];

interface Case {
  readonly dir: string;
  readonly check: ScriptRun;
}

/**
 * Runs the script of the copy in `dir` in-process, as `node scripts/event-contracts.ts --<mode>` would there. The copy's
 * modules are imported on its first run, after its edits; each run reads the snapshots afresh.
 */
async function runContracts(dir: string, mode: 'write' | 'check'): Promise<ScriptRun> {
  const { eventContracts } = (await import(pathToFileURL(path.join(dir, SCRIPT)).href)) as typeof EventContracts;
  return eventContracts(dir, mode);
}

/** A copy of the project with the edits made, and `--check` run on it. */
async function planted(label: string, edits: readonly Edit[]): Promise<Case> {
  const { dir, remove } = await copyProject(`events-${label}`);
  copies.push(remove);
  for (const [file, from, to] of edits) await editFile(dir, file, from, to);
  return { dir, check: await runContracts(dir, 'check') };
}

/** Runs the jobs, a few at a time: each copies the project and imports its modules. */
async function fewAtATime<T>(jobs: ReadonlyArray<() => Promise<T>>, width = 3): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const index = next++;
        results[index] = await jobs[index]!();
      }
    }),
  );
  return results;
}

const snapshot = (dir: string, name: string) => readFile(path.join(dir, 'contracts/events', name), 'utf8');

const ORDERING = 'modules/ordering/contract.ts';
const PAYMENTS = 'modules/payments/contract.ts';

const breaking: ReadonlyArray<{ kind: string; edits: Edit[]; event: string; message: string }> = [
  {
    kind: 'removing a field',
    edits: [[ORDERING, 'totalCents: Type.Integer(), currency: Type.String() }),', 'totalCents: Type.Integer() }),']],
    event: 'ordering.OrderConfirmed.v1.json',
    message: 'BREAKING ordering.OrderConfirmed v1, field currency: removed (or renamed): subscribers that read it lose it',
  },
  {
    kind: 'renaming a field',
    edits: [[PAYMENTS, "paymentId: Type.String({ format: 'uuid' }), reason: Type.String() }),", "paymentId: Type.String({ format: 'uuid' }), declineReason: Type.String() }),"]],
    event: 'payments.PaymentDeclined.v1.json',
    message: 'BREAKING payments.PaymentDeclined v1, field reason: removed (or renamed): subscribers that read it lose it',
  },
  {
    kind: 'changing a type',
    edits: [[ORDERING, 'customerId: Type.String(), totalCents: Type.Integer(),', 'customerId: Type.String(), totalCents: Type.String(),']],
    event: 'ordering.OrderConfirmed.v1.json',
    message: 'BREAKING ordering.OrderConfirmed v1, field totalCents: type changed from "integer" to "string"',
  },
  {
    kind: 'making an optional field required',
    edits: [[ORDERING, 'paymentMethod: Type.Optional(Type.String()),', 'paymentMethod: Type.String(),']],
    event: 'ordering.PaymentRequested.v1.json',
    message: 'BREAKING ordering.PaymentRequested v1, field paymentMethod: optional -> required: stored events may lack it',
  },
  {
    kind: 'adding a required field',
    edits: [['modules/inventory/contract.ts', "schema: Type.Object({ orderId: Type.String({ format: 'uuid' }) }),", "schema: Type.Object({ orderId: Type.String({ format: 'uuid' }), warehouse: Type.String() }),"]],
    event: 'inventory.StockReserved.v1.json',
    message: 'BREAKING inventory.StockReserved v1, field warehouse: added as a required field: stored events lack it',
  },
  {
    kind: 'narrowing an enum',
    edits: [[ORDERING, "Type.Literal('payment_declined'), Type.Literal('expired')])", "Type.Literal('payment_declined')])"]],
    event: 'ordering.OrderCancelled.v1.json',
    message: 'BREAKING ordering.OrderCancelled v1, field reason: enum narrowed: no longer allows "expired"',
  },
  {
    kind: 'narrowing a pattern',
    edits: [[PAYMENTS, "currency: Type.String({ pattern: '^[A-Z]{3}$' }),", "currency: Type.String({ pattern: '^(EUR|USD)$' }),"]],
    event: 'payments.PaymentCaptured.v1.json',
    message: 'BREAKING payments.PaymentCaptured v1, field currency: pattern changed from "^[A-Z]{3}$" to "^(EUR|USD)$", which stored events may not meet',
  },
  {
    kind: 'narrowing a range',
    // The first occurrence is OrderLine, v1's line.
    edits: [[ORDERING, 'quantity: Type.Integer({ minimum: 1 }),', 'quantity: Type.Integer({ minimum: 2 }),']],
    event: 'ordering.OrderPlaced.v1.json',
    message: 'BREAKING ordering.OrderPlaced v1, field lines[].quantity: minimum 1 -> 2: range narrowed',
  },
];

const compatible: ReadonlyArray<{ kind: string; edits: Edit[]; event: string; label: string; message: string }> = [
  {
    kind: 'a new optional field',
    edits: [['modules/catalog/contract.ts', "    name: Type.String(),\n    priceCents", "    name: Type.String(),\n    note: Type.Optional(Type.String()),\n    priceCents"]],
    event: 'catalog.ProductCreated.v1.json',
    label: 'catalog.ProductCreated v1',
    message: 'field note: added as an optional field (compatible)',
  },
  {
    kind: 'a widened enum',
    edits: [[ORDERING, "Type.Literal('expired')])", "Type.Literal('expired'), Type.Literal('customer_request')])"]],
    event: 'ordering.OrderCancelled.v1.json',
    label: 'ordering.OrderCancelled v1',
    message: 'field reason: enum widened: now also allows "customer_request" (compatible)',
  },
];

/** Every case's runs, prepared together before the first test. */
const runs = new Map<string, { planted: Case; write: ScriptRun; again?: ScriptRun }>();
beforeAll(async () => {
  await fewAtATime([
    ...breaking.map(({ kind, edits }) => async () => {
      const planted_ = await planted('breaking', edits);
      runs.set(kind, { planted: planted_, write: await runContracts(planted_.dir, 'write') });
    }),
    ...compatible.map(({ kind, edits }) => async () => {
      const planted_ = await planted('compatible', edits);
      const write = await runContracts(planted_.dir, 'write');
      runs.set(kind, { planted: planted_, write, again: await runContracts(planted_.dir, 'check') });
    }),
  ]);
}, 180_000);

describe.each(breaking)('a breaking change to a frozen version: $kind', ({ kind, event, message }) => {
  let planted_: Case;
  let write: ScriptRun;
  beforeAll(() => {
    ({ planted: planted_, write } = runs.get(kind)!);
  });

  it('fails npm run check, naming the event, the field and the change, and says to publish the next version', () => {
    expect(planted_.check.code, planted_.check.stdout).toBe(1);
    expect(planted_.check.stderr).toContain(message);
    const [name, version] = event.replace(/\.json$/, '').split('.v') as [string, string];
    expect(planted_.check.stderr).toContain(`${name} v${version} is frozen (contracts/events/${event})`);
    expect(planted_.check.stderr).toContain(`Do instead: put v${version} back as it was, and publish the change as v${Number(version) + 1}`);
  });

  it('is refused by npm run events:snapshot, which leaves the snapshot as it was', async () => {
    expect(write.code).toBe(1);
    expect(write.stderr).toContain(message);
    expect(write.stderr).toContain('NOT writing any snapshot');
    expect(await snapshot(planted_.dir, event)).toBe(await snapshot(projectRoot, event));
  });
});

describe.each(compatible)('a compatible change: $kind', ({ kind, event, label, message }) => {
  let planted_: Case;
  let write: ScriptRun;
  let again: ScriptRun;
  beforeAll(() => {
    ({ planted: planted_, write } = runs.get(kind)!);
    again = runs.get(kind)!.again!;
  });

  it('fails npm run check until the snapshot is regenerated, saying which kind of change it is', () => {
    expect(planted_.check.code).toBe(1);
    expect(planted_.check.stderr).toContain(`COMPATIBLE ${label}: run \`npm run events:snapshot\` and commit contracts/events/${event}.`);
    expect(planted_.check.stderr).toContain(message);
  });

  it('is recorded by npm run events:snapshot, saying which kind it was, and then passes', async () => {
    expect(write.code, write.stderr).toBe(0);
    expect(write.stdout).toContain(`COMPATIBLE ${label}: recorded in contracts/events/${event}.`);
    expect(write.stdout).toContain(message);
    expect(await snapshot(planted_.dir, event)).not.toBe(await snapshot(projectRoot, event));
    expect(again.code, again.stderr).toBe(0);
  });
});

describe('versions and handlers', () => {
  let noDowncast: Case;
  let misplaced: Case;
  let newVersion: Case;
  beforeAll(async () => {
    [noDowncast, newVersion] = await Promise.all([
      planted('no-downcast', [[ORDERING, '  downcast: (v2) =>', '  downcastGone: (v2) =>']]),
      // A third version of OrderPlaced, declared the way the messages say: new, not yet snapshotted.
      planted('new-version', [
        [ORDERING, 'export const orderingContract', 'export const OrderPlacedV3 = defineEvent({ ...OrderPlaced, version: 3, from: OrderPlaced, upcast: (v2) => v2, downcast: (v3) => v3 });\n\nexport const orderingContract'],
        [ORDERING, 'events: { OrderPlaced, PaymentRequested', 'events: { OrderPlaced: OrderPlacedV3, PaymentRequested'],
      ]),
    ]);
    const { dir, remove } = await copyProject('events-misplaced');
    copies.push(remove);
    await rename(path.join(dir, 'modules/payments/events/on-ordering-payment-requested.ts'), path.join(dir, 'modules/payments/events/payment-requested.ts'));
    await editFile(dir, 'modules/payments/index.ts', './events/on-ordering-payment-requested.ts', './events/payment-requested.ts');
    misplaced = { dir, check: await runScript(dir, SCRIPT, ['--check']) };
  }, 60_000);

  it('fails npm run check, naming the subscriber, when the downcast a subscriber of v1 needs is dropped', () => {
    expect(noDowncast.check.code).toBe(1);
    expect(noDowncast.check.stderr).toContain(
      'SUBSCRIBER VERSION Module "inventory" (subscription ordering.OrderPlaced) takes ordering.OrderPlaced v1, but "ordering" publishes v2 and ' +
        'ordering.OrderPlaced v2 declares no downcast to v1.',
    );
    // Only inventory still takes v1; order-history takes v2.
    expect(noDowncast.check.stderr).not.toContain('Module "order-history"');
  });

  it('asks for a snapshot of a new version, and leaves the ones before it alone', () => {
    expect(newVersion.check.code).toBe(1);
    expect(newVersion.check.stderr).toContain('NEW ordering.OrderPlaced v3: no snapshot yet');
    expect(newVersion.check.stderr).not.toMatch(/ordering\.OrderPlaced v[12]/);
  });

  it('fails npm run check when a handler is not in modules/<module>/events/on-<producer>-<event>.ts', () => {
    expect(misplaced.check.code).toBe(1);
    expect(misplaced.check.stderr).toContain(
      'HANDLER modules/payments/index.ts: the subscription ordering.PaymentRequested (ordering.PaymentRequested v1) is not the `onOrderingPaymentRequested` that modules/payments/events/on-ordering-payment-requested.ts exports.',
    );
    expect(misplaced.check.stderr).toContain('HANDLER modules/payments/events/payment-requested.ts: events/ holds the module\'s handlers only');
  });
});
