import { api } from '../api.ts';
import { formatMs, formatTime, h, show } from '../dom.ts';
import type { Span } from '../types.ts';

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4d7c0f', '#be185d'];

function depths(spans: Span[]): Map<string, number> {
  const depth = new Map<string, number>();
  // Parents come before their children (the API's waterfall order).
  for (const span of spans) depth.set(span.spanId, span.parentSpanId !== undefined && depth.has(span.parentSpanId) ? depth.get(span.parentSpanId)! + 1 : 0);
  return depth;
}

/** One trace as a waterfall: a row per span, indented under its parent, its bar placed on the trace's time line. */
export async function traceView(root: HTMLElement, [traceId]: string[]): Promise<void> {
  const { spans, link } = await api<{ spans: Span[]; link: string | null }>(`/admin/console/traces/${traceId}`);
  const start = Math.min(...spans.map((span) => span.startMs));
  const end = Math.max(...spans.map((span) => span.startMs + span.durationMs));
  const total = Math.max(end - start, 0.001);
  const depth = depths(spans);
  const modules = [...new Set(spans.map((span) => span.module).filter((module): module is string => module !== undefined))].sort();
  const colour = (module: string | undefined) => (module === undefined ? '#6b7280' : PALETTE[modules.indexOf(module) % PALETTE.length]!);
  const services = [...new Set(spans.map((span) => span.service))];
  const details = h('div', { class: 'span-details' }, h('p', { class: 'hint' }, 'Click a span for its attributes.'));

  const select = (span: Span, row: HTMLElement) => {
    for (const other of root.querySelectorAll('.waterfall .row.selected')) other.classList.remove('selected');
    row.classList.add('selected');
    show(
      details,
      h('h2', {}, span.name),
      h('p', {}, `${span.kind} span · ${span.module ?? 'no module'} · ${span.service} · ${formatMs(span.durationMs)} · status ${span.status}${span.statusMessage ? `: ${span.statusMessage}` : ''}`),
      h('table', { class: 'attributes' }, Object.entries(span.attributes).map(([key, value]) => h('tr', {}, h('th', {}, key), h('td', {}, typeof value === 'string' ? value : JSON.stringify(value))))),
      span.events.length ? [h('h3', {}, 'Events'), h('ul', {}, span.events.map((event) => h('li', {}, `${formatMs(event.timeMs - span.startMs)}: ${event.name} ${JSON.stringify(event.attributes)}`)))] : '',
    );
  };

  const rows = spans.map((span) => {
    const bar = h('div', { class: `bar${span.status === 'error' ? ' error' : ''}` });
    bar.style.left = `${((span.startMs - start) / total) * 100}%`;
    bar.style.width = `${Math.max((span.durationMs / total) * 100, 0.3)}%`;
    bar.style.background = colour(span.module);
    const label = h('div', { class: 'label' }, h('span', { class: 'module-tag' }, span.module ?? '–'), ' ', span.name);
    label.style.paddingLeft = `${depth.get(span.spanId)! * 14 + 4}px`;
    label.querySelector<HTMLElement>('.module-tag')!.style.background = colour(span.module);
    const row = h('div', { class: 'row', 'data-span': span.spanId, 'data-module': span.module ?? '' }, label, h('div', { class: 'track' }, bar), h('div', { class: 'duration' }, formatMs(span.durationMs)));
    row.addEventListener('click', () => select(span, row));
    return row;
  });

  show(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/traces' }, 'Traces'), ' / ', traceId),
    h('h1', {}, spans[0]?.name ?? traceId),
    h(
      'p',
      { class: 'lead' },
      `${spans.length} spans over ${formatMs(total)}, from ${formatTime(start)}; modules: `,
      modules.map((module, i) => [i ? ', ' : '', h('span', { class: 'module-name', 'data-trace-module': module }, module)]),
      services.length > 1 ? `; processes: ${services.join(', ')}` : '',
      link ? [' · ', h('a', { href: link, target: '_blank', rel: 'noopener noreferrer', class: 'trace-link' }, 'Open in your tracing backend')] : '',
    ),
    h('div', { class: 'waterfall' }, rows),
    details,
  );
  if (spans[0]) select(spans[0], rows[0]!);
}
