import { h } from './dom.ts';

/**
 * Asks the operator to confirm an action, optionally with a reason they must type. Resolves to the reason (or '' when
 * none is asked for) on confirmation, and to undefined when cancelled.
 */
export function confirmAction(options: { title: string; text: string; confirm: string; reason?: boolean }): Promise<string | undefined> {
  return new Promise((resolve) => {
    const reason = options.reason ? h('textarea', { class: 'reason', rows: 3, placeholder: 'Why (kept with the record)', 'aria-label': 'Reason' }) : undefined;
    const ok = h('button', { class: 'danger', type: 'button' }, options.confirm);
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const dialog = h('dialog', { class: 'confirm' }, h('h2', {}, options.title), h('p', {}, options.text), reason, h('div', { class: 'buttons' }, cancel, ok));
    const close = (value: string | undefined) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    if (reason) {
      ok.disabled = true;
      reason.addEventListener('input', () => (ok.disabled = reason.value.trim().length === 0));
    }
    ok.addEventListener('click', () => close(reason ? reason.value.trim() : ''));
    cancel.addEventListener('click', () => close(undefined));
    dialog.addEventListener('cancel', () => close(undefined));
    document.body.append(dialog);
    dialog.showModal();
    (reason ?? ok).focus();
  });
}

/** A short-lived message at the bottom of the page: the result of an action. */
export function toast(message: string, kind: 'ok' | 'error' = 'ok'): void {
  const element = h('div', { class: `toast ${kind}`, role: 'status' }, message);
  document.body.append(element);
  setTimeout(() => element.remove(), 4000);
}
