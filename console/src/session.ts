const KEY = 'seams-console-token';

type Listener = (message: string | undefined) => void;
const listeners: Listener[] = [];

/**
 * The admin token, kept in sessionStorage: it lives as long as the tab, is not sent by the browser on its own (no
 * cookie, so no cross-site request can use it), and is gone when the tab closes.
 */
export const session = {
  token: (): string | null => sessionStorage.getItem(KEY),
  start(token: string): void {
    sessionStorage.setItem(KEY, token);
  },
  end(message?: string): void {
    sessionStorage.removeItem(KEY);
    for (const listener of listeners) listener(message);
  },
  onEnd(listener: Listener): void {
    listeners.push(listener);
  },
};
