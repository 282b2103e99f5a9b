/** How often live views ask again: at most 2 s between a change and seeing it. */
export const REFRESH_MS = 2000;

/**
 * Runs `tick` now and every REFRESH_MS while the tab is visible; a hidden tab asks nothing. Returns the stop function
 * the router calls when the view is left. One request at a time: a slow answer is never overtaken by the next.
 */
export function poll(tick: () => Promise<void>): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const run = async () => {
    timer = undefined;
    if (stopped) return;
    if (document.visibilityState === 'visible') await tick().catch(() => undefined);
    if (!stopped) timer = setTimeout(run, REFRESH_MS);
  };
  const onVisible = () => {
    if (document.visibilityState === 'visible' && timer !== undefined) {
      clearTimeout(timer);
      void run();
    }
  };
  document.addEventListener('visibilitychange', onVisible);
  void run();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
