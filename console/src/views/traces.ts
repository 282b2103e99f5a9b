import { api } from '../api.ts';
import { formatMs, formatTime, h, show } from '../dom.ts';
import type { TraceEntry } from '../types.ts';

/** The traces this process keeps in memory, filtered by route, status and duration. */
export async function tracesView(root: HTMLElement): Promise<void> {
  const params = new URLSearchParams(sessionStorage.getItem('seams-console-trace-filter') ?? '');
  const route = h('input', { type: 'search', placeholder: 'route or name, e.g. /orders', value: params.get('route') ?? '', 'aria-label': 'Route' });
  const status = h('select', { 'aria-label': 'Status' }, ['', 'ok', 'error', '2xx', '4xx', '5xx'].map((value) => h('option', { value, selected: params.get('status') === value }, value || 'any status')));
  const minDuration = h('input', { type: 'number', min: 0, placeholder: 'min ms', value: params.get('minDurationMs') ?? '', 'aria-label': 'Minimum duration (ms)' });
  const list = h('div', {});
  const load = async () => {
    const query = new URLSearchParams();
    if (route.value.trim()) query.set('route', route.value.trim());
    if (status.value) query.set('status', status.value);
    if (minDuration.value) query.set('minDurationMs', minDuration.value);
    sessionStorage.setItem('seams-console-trace-filter', query.toString());
    const { capacity, traces } = await api<{ capacity: number; traces: TraceEntry[] }>(`/admin/console/traces?${query}`);
    if (capacity === 0) {
      show(list, h('p', { class: 'none' }, 'This process keeps no traces (the OpenTelemetry SDK is off, or CONSOLE_TRACE_BUFFER=0).'));
      return;
    }
    show(
      list,
      h('p', { class: 'hint' }, `${traces.length} shown; the buffer keeps the last ${capacity} traces.`),
      h(
        'table',
        { class: 'traces' },
        h('tr', {}, h('th', {}, 'started'), h('th', {}, 'name'), h('th', {}, 'status'), h('th', {}, 'duration'), h('th', {}, 'spans'), h('th', {}, 'modules')),
        traces.map((trace) =>
          h(
            'tr',
            { class: trace.error ? 'warn' : undefined, 'data-trace': trace.traceId },
            h('td', {}, formatTime(trace.startMs)),
            h('td', {}, h('a', { href: `#/traces/${trace.traceId}` }, trace.name)),
            h('td', {}, trace.statusCode ?? (trace.error ? 'error' : '–')),
            h('td', { class: 'num' }, formatMs(trace.durationMs)),
            h('td', { class: 'num' }, trace.spanCount),
            h('td', {}, trace.modules.join(', ')),
          ),
        ),
      ),
    );
  };
  for (const input of [route, status, minDuration]) input.addEventListener('change', () => void load());
  route.addEventListener('input', () => void load());
  show(
    root,
    h('h1', {}, 'Traces'),
    h('p', { class: 'lead' }, 'The most recent traces of this process, newest first. A trace holds the request and everything it set off: module calls, SQL, event handlers.'),
    h('div', { class: 'filters' }, route, status, minDuration, h('button', { type: 'button', onclick: () => void load() }, 'Refresh')),
    list,
  );
  await load();
}
