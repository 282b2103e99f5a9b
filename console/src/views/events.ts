import { api } from '../api.ts';
import { formatMs, h, show } from '../dom.ts';
import { poll, REFRESH_MS } from '../poll.ts';
import type { SubscriptionStatus } from '../types.ts';

function row(status: SubscriptionStatus): HTMLElement {
  const stuck = status.dead > 0 || status.retrying > 0;
  return h(
    'tr',
    { class: stuck ? 'warn' : undefined, 'data-subscription': `${status.module}/${status.subscription}` },
    h('td', {}, h('a', { href: `#/modules/${status.module}` }, status.module)),
    h('td', {}, h('code', {}, `${status.event}@${status.version}`)),
    h('td', { class: 'num' }, status.partitions),
    h('td', { class: 'num', 'data-col': 'pending' }, status.pending),
    h('td', { class: 'num', 'data-col': 'age' }, status.oldestUnhandledAgeMs ? formatMs(status.oldestUnhandledAgeMs) : '–'),
    h('td', { class: 'num', 'data-col': 'throughput' }, status.handledLastMinute),
    h('td', { class: 'num', 'data-col': 'retrying' }, status.retrying),
    h('td', { class: 'num', 'data-col': 'waiting' }, status.waiting),
    h('td', { class: 'num', 'data-col': 'dead' }, status.dead ? h('a', { href: `#/dead-letters/${status.module}` }, status.dead) : 0),
  );
}

/** Every subscription's lag, throughput and failures, asked again every two seconds. */
export async function eventsView(root: HTMLElement): Promise<() => void> {
  const updated = h('span', { class: 'hint' });
  const body = h('tbody', {});
  show(
    root,
    h('h1', {}, 'Events, live'),
    h('p', { class: 'lead' }, `Each subscription of each module that runs here. Refreshes every ${REFRESH_MS / 1000} s while this tab is visible. `, updated),
    h(
      'table',
      { class: 'subscriptions' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'subscriber'),
          h('th', {}, 'event'),
          h('th', { title: 'Parallel readers, by hash of the key' }, 'partitions'),
          h('th', { title: 'Events past the cursor: not read yet' }, 'lag'),
          h('th', { title: 'Age of the oldest event not handled yet (pending or parked)' }, 'oldest unhandled'),
          h('th', { title: 'Events handled in the last 60 seconds' }, 'handled / min'),
          h('th', { title: 'Failed, waiting for their next attempt' }, 'retrying'),
          h('th', { title: 'Held back behind an earlier failed event with the same key' }, 'waiting'),
          h('th', { title: 'Gave up after the last attempt: replay or discard them' }, 'dead letters'),
        ),
      ),
      body,
    ),
  );
  return poll(async () => {
    const { subscriptions } = await api<{ subscriptions: SubscriptionStatus[] }>('/admin/events/subscriptions');
    show(body, subscriptions.length ? subscriptions.map(row) : h('tr', {}, h('td', { colspan: 9 }, 'No subscriptions run in this process.')));
    updated.textContent = `Updated ${new Date().toLocaleTimeString(undefined, { hour12: false })}.`;
  });
}
