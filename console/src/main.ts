import './styles.css';
import { ApiError } from './api.ts';
import { h, show } from './dom.ts';
import { session } from './session.ts';
import { signInView, redeemLinkCode } from './views/sign-in.ts';
import { mapView } from './views/map.ts';
import { moduleView } from './views/module.ts';
import { eventsView } from './views/events.ts';
import { deadLettersView } from './views/dead-letters.ts';
import { tracesView } from './views/traces.ts';
import { traceView } from './views/trace.ts';

/** A view draws into `root` and may return a function that stops what it started (a refresh timer). */
export type View = (root: HTMLElement, params: string[]) => Promise<(() => void) | void>;

const routes: Array<[RegExp, View, string]> = [
  [/^#\/map$/, mapView, 'map'],
  [/^#\/modules\/([a-z0-9-]+)$/, moduleView, 'map'],
  [/^#\/events$/, eventsView, 'events'],
  [/^#\/dead-letters(?:\/([a-z0-9-]+))?$/, deadLettersView, 'dead-letters'],
  [/^#\/traces$/, tracesView, 'traces'],
  [/^#\/traces\/([0-9a-f]{32})$/, traceView, 'traces'],
];

const app = document.getElementById('app')!;
let stop: (() => void) | void;
let notice: string | undefined;

function nav(active: string): HTMLElement {
  const link = (id: string, href: string, text: string) => h('a', { href, class: id === active ? 'active' : undefined, 'data-nav': id }, text);
  return h(
    'header',
    {},
    h('a', { class: 'brand', href: '#/map' }, 'Seams console'),
    h('nav', {}, link('map', '#/map', 'Module map'), link('events', '#/events', 'Events'), link('dead-letters', '#/dead-letters', 'Dead letters'), link('traces', '#/traces', 'Traces')),
    h('button', { class: 'link', type: 'button', onclick: () => session.end('Signed out.') }, 'Sign out'),
  );
}

async function render(): Promise<void> {
  stop?.();
  stop = undefined;
  if (!session.token()) {
    show(app, signInView(notice, () => void route()));
    return;
  }
  const hash = location.hash || '#/map';
  const found = routes.map(([pattern, view, id]) => ({ match: pattern.exec(hash), view, id })).find((candidate) => candidate.match);
  if (!found) {
    location.hash = '#/map';
    return;
  }
  const main = h('main', {});
  show(app, nav(found.id), main);
  try {
    stop = await found.view(main, found.match!.slice(1).filter((part): part is string => part !== undefined));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    show(main, h('p', { class: 'error' }, error instanceof ApiError ? `${error.status}: ${error.message}` : String(error)));
  }
}

async function route(): Promise<void> {
  // A start-up link carries a one-time code in the fragment: trade it for a token, then drop it from the address.
  const code = /^#code=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
  if (code) {
    history.replaceState(null, '', `${location.pathname}#/map`);
    notice = await redeemLinkCode(code);
  }
  await render();
}

session.onEnd((message) => {
  notice = message;
  void render();
});
window.addEventListener('hashchange', () => void render());
void route();
