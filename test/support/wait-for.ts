/** Polls until `condition` holds, or fails after `timeoutMs` with the message. For asynchronous outcomes only. */
export async function waitFor(condition: () => Promise<boolean> | boolean, options: { timeoutMs?: number; intervalMs?: number; message?: string } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(options.message ?? 'condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 10));
  }
}
