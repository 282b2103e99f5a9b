import dagre from '@dagrejs/dagre';
import { api } from '../api.ts';
import { h, s, show } from '../dom.ts';
import type { ModuleView, SystemView } from '../types.ts';

const NODE_WIDTH = 280;
const LINE = 14;
const CHARS_PER_LINE = 42;

/** Splits text into lines of about `width` characters, at most `max` lines (the last one ends in … when cut). */
function wrap(text: string, width: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && (line + ' ' + word).length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  if (lines.length > max) return [...lines.slice(0, max - 1), `${lines[max - 1]!.slice(0, width - 1)}…`];
  return lines;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function placementText(module: ModuleView): string {
  if (module.placement.kind === 'here') return 'runs here';
  if (module.placement.kind === 'remote') return `remote: ${module.placement.url}`;
  return 'in another process';
}

interface Box {
  module: ModuleView;
  lines: Array<{ text: string; cls: string }>;
  height: number;
}

function box(module: ModuleView): Box {
  const lines = [
    { text: module.owners.join(', '), cls: 'owner' },
    ...wrap(module.description, CHARS_PER_LINE, 3).map((text) => ({ text, cls: 'description' })),
    ...module.dependsOn.map((dependency) => ({ text: cut(`→ ${dependency.module}: ${dependency.reason}`, CHARS_PER_LINE), cls: 'dependency' })),
  ];
  return { module, lines, height: 44 + lines.length * LINE + 8 };
}

/**
 * The module map: one box per module (owner, description, dependencies with reasons, where it runs), event flows
 * from producer to subscriber labelled `name@version`, and API calls from caller to callee; laid out by dagre.
 */
export function drawMap(system: SystemView): SVGSVGElement {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'TB', nodesep: 70, ranksep: 90, edgesep: 30, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));
  const boxes = new Map(system.modules.map((module) => [module.name, box(module)]));
  for (const [name, b] of boxes) graph.setNode(name, { width: NODE_WIDTH, height: b.height });

  // One edge per producer → subscriber pair, listing every event that flows along it.
  const flows = new Map<string, { producer: string; subscriber: string; events: string[] }>();
  for (const flow of system.flows) {
    if (!boxes.has(flow.producer) || !boxes.has(flow.subscriber)) continue;
    const id = `${flow.producer}->${flow.subscriber}`;
    const entry = flows.get(id) ?? flows.set(id, { producer: flow.producer, subscriber: flow.subscriber, events: [] }).get(id)!;
    entry.events.push(`${flow.event}@${flow.version}`);
  }
  for (const [id, flow] of flows) {
    const width = Math.max(...flow.events.map((event) => event.length)) * 6.4 + 8;
    graph.setEdge(flow.producer, flow.subscriber, { width, height: flow.events.length * 13 + 4, labelpos: 'c', kind: 'event', id }, id);
  }
  const calls: Array<{ from: string; to: string; reason: string }> = [];
  for (const module of system.modules) {
    for (const dependency of module.dependsOn) {
      if (!dependency.callsApi || !boxes.has(dependency.module)) continue;
      const id = `${module.name}=>${dependency.module}`;
      calls.push({ from: module.name, to: dependency.module, reason: dependency.reason });
      graph.setEdge(module.name, dependency.module, { width: 60, height: 14, labelpos: 'c', kind: 'api', id }, id);
    }
  }
  dagre.layout(graph);

  const { width = 800, height = 600 } = graph.graph();
  // Scales down to the page's width, never up: the text stays legible.
  const svg = s('svg', { class: 'map', viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': 'Module map' });
  svg.style.maxWidth = `${width}px`;
  svg.append(
    s(
      'defs',
      {},
      s('marker', { id: 'arrow-event', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-event' })),
      s('marker', { id: 'arrow-api', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-api' })),
    ),
  );

  for (const edge of graph.edges()) {
    const label = graph.edge(edge) as { points: Array<{ x: number; y: number }>; x: number; y: number; kind: string; id: string };
    const d = label.points.map((point, i) => `${i === 0 ? 'M' : 'L'}${point.x},${point.y}`).join(' ');
    if (label.kind === 'event') {
      const flow = flows.get(label.id)!;
      svg.append(
        s(
          'g',
          { class: 'flow', 'data-flow': label.id },
          s('title', {}, `${flow.producer} → ${flow.subscriber}: ${flow.events.join(', ')}`),
          s('path', { d, class: 'edge-event', 'marker-end': 'url(#arrow-event)' }),
          s(
            'text',
            { x: label.x, y: label.y - (flow.events.length * 13) / 2 + 10, class: 'edge-label' },
            flow.events.map((event, i) => s('tspan', { x: label.x, dy: i === 0 ? 0 : 13 }, event)),
          ),
        ),
      );
    } else {
      const call = calls.find((candidate) => `${candidate.from}=>${candidate.to}` === label.id)!;
      svg.append(
        s(
          'g',
          { class: 'call', 'data-call': label.id },
          s('title', {}, `${call.from} calls ${call.to}'s API: ${call.reason}`),
          s('path', { d, class: 'edge-api', 'marker-end': 'url(#arrow-api)' }),
          s('text', { x: label.x, y: label.y + 4, class: 'edge-label api' }, 'calls API'),
        ),
      );
    }
  }

  for (const [name, b] of boxes) {
    const node = graph.node(name) as { x: number; y: number; width: number; height: number };
    const x = node.x - node.width / 2;
    const y = node.y - node.height / 2;
    const link = s('a', { href: `#/modules/${name}`, class: `module placement-${b.module.placement.kind}`, 'data-module': name });
    link.append(
      s('title', {}, `${name}: ${b.module.description}`),
      s('rect', { x, y, width: node.width, height: node.height, rx: 6 }),
      s('text', { x: x + 12, y: y + 20, class: 'name' }, name),
      s('text', { x: x + node.width - 10, y: y + 20, class: 'placement' }, placementText(b.module)),
      ...b.lines.map((line, i) => s('text', { x: x + 12, y: y + 40 + i * LINE, class: line.cls }, line.text)),
    );
    svg.append(link);
  }
  return svg;
}

export async function mapView(root: HTMLElement): Promise<void> {
  const system = await api<SystemView>('/admin/console/system');
  const here = system.modules.filter((module) => module.placement.kind === 'here').length;
  show(
    root,
    h('h1', {}, 'Module map'),
    h(
      'p',
      { class: 'lead' },
      `${system.modules.length} modules; ${here === system.modules.length ? 'all run in this process' : `${here} run in this process (${system.service}), the others elsewhere`}. `,
      'Click a module for its page.',
    ),
    h(
      'ul',
      { class: 'legend' },
      h('li', { class: 'legend-event' }, 'event flow: producer → subscriber, name@version'),
      h('li', { class: 'legend-api' }, 'API call: caller → callee'),
      h('li', { class: 'legend-here' }, 'runs here'),
      h('li', { class: 'legend-remote' }, 'runs in another process'),
    ),
    h('div', { class: 'map-frame' }, drawMap(system)),
  );
}
