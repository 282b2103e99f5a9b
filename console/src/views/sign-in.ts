import { api, ApiError } from '../api.ts';
import { h } from '../dom.ts';
import { session } from '../session.ts';

/** Trades the start-up link's one-time code for a token; returns a message when that fails. */
export async function redeemLinkCode(code: string): Promise<string | undefined> {
  try {
    const { token } = await api<{ token: string }>('/admin/console/sign-in', { method: 'POST', body: { code } });
    session.start(token);
    return undefined;
  } catch (error) {
    return error instanceof ApiError ? `The sign-in link did not work: ${error.message}` : String(error);
  }
}

/** Checks a pasted token against the console API before keeping it: it must be valid and carry the admin role. */
async function tryToken(token: string): Promise<string | undefined> {
  const response = await fetch('/admin/console/system', { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  if (response.status === 401) return 'This token is not valid here (wrong signature, expired, or not a token).';
  if (response.status === 403) return 'This token is valid but has no admin role.';
  if (!response.ok) return `The app answered ${response.status}.`;
  session.start(token);
  return undefined;
}

export function signInView(notice: string | undefined, signedIn: () => void): HTMLElement {
  const input = h('textarea', { id: 'token', rows: 4, placeholder: 'eyJhbGciOi…', 'aria-label': 'Admin token', autocomplete: 'off', spellcheck: 'false' });
  const message = h('p', { class: 'error', role: 'alert' }, notice ?? '');
  const submit = h('button', { type: 'button', class: 'primary' }, 'Sign in');
  submit.addEventListener('click', async () => {
    const token = input.value.trim().replace(/^Bearer\s+/i, '');
    if (!token) return;
    submit.disabled = true;
    const problem = await tryToken(token).catch((error: unknown) => String(error));
    submit.disabled = false;
    if (problem) message.textContent = problem;
    else signedIn();
  });
  return h(
    'main',
    { class: 'sign-in' },
    h('h1', {}, 'Seams console'),
    h('p', {}, 'Paste a bearer token with the admin role. It is kept for this tab only (sessionStorage) and sent with each request of the console.'),
    h('p', { class: 'hint' }, 'With the embedded development database, the start-up output prints a console link that signs the local admin in once, and an ADMIN_TOKEN.'),
    input,
    submit,
    message,
  );
}
