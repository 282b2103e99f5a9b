import pg from 'pg';

/**
 * A poor man's profiler for "where does the time go": wraps pg.Client#query in this process and sums, per statement
 * shape and per connection's application_name, how many ran and how long each took from call to result (round trip
 * plus server time). Enabled with PROFILE=1; it adds a little overhead of its own, so numbers from a profiled run are
 * for finding the cost centres, not for the table.
 */
interface Entry {
  count: number;
  ms: number;
}

const entries = new Map<string, Entry>();
let installed = false;

export function installQueryProfile(): void {
  if (installed) return;
  installed = true;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: pg.Client & { connectionParameters?: { application_name?: string } }, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
    const result = original.apply(this, args);
    if (!text || !(result instanceof Promise)) return result;
    const started = performance.now();
    const app = this.connectionParameters?.application_name ?? '';
    const who = app.startsWith('seams:bench_sink') ? 'sink' : app === 'seams:bench_source' ? 'producer' : app || 'bench';
    const name = `${who.padEnd(8)} ${shape(text)}`;
    return result.then((value: unknown) => {
      const entry = entries.get(name) ?? { count: 0, ms: 0 };
      entry.count += 1;
      entry.ms += performance.now() - started;
      entries.set(name, entry);
      return value;
    });
  };
}

function shape(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 90);
}

/** Prints and resets what was collected since the last call. */
export function reportQueryProfile(label: string): void {
  if (!installed) return;
  const rows = [...entries].sort((a, b) => b[1].ms - a[1].ms).slice(0, 18);
  console.log(`  profile (${label}): statement, count, total ms, mean ms`);
  for (const [name, { count, ms }] of rows) console.log(`    ${name.padEnd(100)} ${String(count).padStart(7)} ${ms.toFixed(0).padStart(8)} ${(ms / count).toFixed(3).padStart(8)}`);
  entries.clear();
}
