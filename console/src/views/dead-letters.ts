import { api, ApiError } from '../api.ts';
import { confirmAction, toast } from '../dialog.ts';
import { formatTime, h, jsonBlock, show } from '../dom.ts';
import { poll } from '../poll.ts';
import type { DeadLetter, DiscardedLetter } from '../types.ts';

async function act(action: () => Promise<unknown>, done: string, refresh: () => Promise<void>): Promise<void> {
  try {
    await action();
    toast(done);
  } catch (error) {
    toast(error instanceof ApiError ? `${error.status}: ${error.message}` : String(error), 'error');
  }
  await refresh();
}

function letterCard(letter: DeadLetter, refresh: () => Promise<void>): HTMLElement {
  const replay = async () => {
    const ok = await confirmAction({ title: 'Replay this event?', text: `${letter.event}@${letter.version} goes back to ${letter.module}'s handler with a fresh count of attempts.`, confirm: 'Replay' });
    if (ok === undefined) return;
    await act(() => api(`/admin/events/dead-letters/${letter.id}/replay`, { method: 'POST' }), `Replayed ${letter.id}.`, refresh);
  };
  const discard = async () => {
    const reason = await confirmAction({
      title: 'Discard this event?',
      text: `${letter.event}@${letter.version} will never reach ${letter.module}'s handler. It is kept, with your reason, in the discarded list${letter.waitingBehind ? `; the ${letter.waitingBehind} event(s) waiting behind it move on` : ''}.`,
      confirm: 'Discard',
      reason: true,
    });
    if (reason === undefined) return;
    await act(() => api(`/admin/events/dead-letters/${letter.id}/discard`, { method: 'POST', body: { reason } }), `Discarded ${letter.id}.`, refresh);
  };
  return h(
    'article',
    { class: 'dead-letter', 'data-dead-letter': letter.id },
    h(
      'header',
      {},
      h('h3', {}, h('code', {}, `${letter.event}@${letter.version}`), ' → ', h('a', { href: `#/modules/${letter.module}` }, letter.module)),
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'replay', onclick: () => void replay() }, 'Replay'), h('button', { type: 'button', class: 'discard danger', onclick: () => void discard() }, 'Discard…')),
    ),
    h('p', { class: 'error-text' }, letter.lastError ?? '(no error recorded)'),
    h(
      'dl',
      {},
      h('dt', {}, 'attempts'),
      h('dd', {}, letter.attempts),
      h('dt', {}, 'last failure'),
      h('dd', {}, formatTime(letter.lastFailedAt)),
      h('dt', {}, 'occurred'),
      h('dd', {}, formatTime(letter.occurredAt)),
      h('dt', {}, 'key'),
      h('dd', {}, letter.key ?? '–'),
      h('dt', {}, 'waiting behind it'),
      h('dd', {}, letter.waitingBehind),
      h('dt', {}, 'subscription'),
      h('dd', {}, letter.subscription),
    ),
    jsonBlock('payload', letter.payload),
  );
}

/** Dead letters (all, or one module's), with replay one, replay all of a subscription, and discard with a reason. */
export async function deadLettersView(root: HTMLElement, [module]: string[]): Promise<() => void> {
  const list = h('div', { class: 'dead-letters' });
  const discardedList = h('div', {});
  // Drawn again only when something changed, so an opened payload stays open between refreshes.
  let shown = '';
  const refresh = async () => {
    const query = module ? `?module=${encodeURIComponent(module)}` : '';
    const [{ deadLetters }, { discarded }] = await Promise.all([
      api<{ deadLetters: DeadLetter[] }>(`/admin/events/dead-letters${query}`),
      api<{ discarded: DiscardedLetter[] }>('/admin/events/discarded'),
    ]);
    const seen = JSON.stringify([deadLetters, discarded]);
    if (seen === shown) return;
    shown = seen;
    const bySubscription = new Map<string, DeadLetter[]>();
    for (const letter of deadLetters) {
      const id = `${letter.module}/${letter.subscription}`;
      bySubscription.set(id, [...(bySubscription.get(id) ?? []), letter]);
    }
    show(
      list,
      deadLetters.length === 0
        ? h('p', { class: 'none', 'data-empty': 'dead-letters' }, 'No dead letters.')
        : [...bySubscription].map(([id, letters]) => {
            const [owner, subscription] = [letters[0]!.module, letters[0]!.subscription];
            const replayAll = async () => {
              const ok = await confirmAction({ title: `Replay all ${letters.length}?`, text: `Every dead letter of ${id} goes back to its handler.`, confirm: 'Replay all' });
              if (ok === undefined) return;
              await act(() => api('/admin/events/dead-letters/replay', { method: 'POST', body: { module: owner, subscription } }), `Replayed the dead letters of ${id}.`, refresh);
            };
            return h(
              'section',
              { 'data-subscription': id },
              h('h2', {}, id, h('span', { class: 'count' }, ` ${letters.length}`), h('button', { type: 'button', class: 'replay-all', onclick: () => void replayAll() }, 'Replay all')),
              letters.map((letter) => letterCard(letter, refresh)),
            );
          }),
    );
    show(
      discardedList,
      discarded.length === 0
        ? h('p', { class: 'none' }, 'None discarded.')
        : h(
            'table',
            {},
            h('tr', {}, h('th', {}, 'when'), h('th', {}, 'event'), h('th', {}, 'subscriber'), h('th', {}, 'by'), h('th', {}, 'reason'), h('th', {}, 'last error')),
            discarded.map((letter) =>
              h('tr', { 'data-discarded': letter.id }, h('td', {}, formatTime(letter.discardedAt)), h('td', {}, `${letter.event}@${letter.version}`), h('td', {}, letter.module), h('td', {}, letter.discardedBy), h('td', {}, letter.reason), h('td', {}, letter.lastError ?? '')),
            ),
          ),
    );
  };
  show(
    root,
    h('h1', {}, module ? `Dead letters of ${module}` : 'Dead letters'),
    h('p', { class: 'lead' }, 'Events a subscriber gave up on after its last attempt. Later events with the same key wait behind each one. ', module ? h('a', { href: '#/dead-letters' }, 'Show all modules.') : ''),
    list,
    h('h2', {}, 'Discarded recently'),
    discardedList,
  );
  return poll(refresh);
}
