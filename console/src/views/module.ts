import { api } from '../api.ts';
import { h, jsonBlock, show } from '../dom.ts';
import type { ModuleDetails } from '../types.ts';

/** `{ a, b?, c }`: the top-level properties of an object schema, for a summary line. */
function schemaSummary(schema: unknown): string {
  const object = schema as { type?: string; properties?: Record<string, unknown>; required?: string[] };
  if (object?.type !== 'object' || !object.properties) return object?.type ?? 'schema';
  const required = new Set(object.required ?? []);
  const names = Object.keys(object.properties).map((name) => (required.has(name) ? name : `${name}?`));
  return `{ ${names.join(', ')} }`;
}

const section = (title: string, count: number | undefined, ...children: Parameters<typeof h>[2][]) =>
  h('section', { 'data-section': title.toLowerCase() }, h('h2', {}, title, count === undefined ? '' : h('span', { class: 'count' }, ` ${count}`)), ...children);

const none = (text: string) => h('p', { class: 'none' }, text);

export async function moduleView(root: HTMLElement, [name]: string[]): Promise<void> {
  const details = await api<ModuleDetails>(`/admin/console/modules/${name}`);
  const { module } = details;
  const placement = module.placement.kind === 'here' ? 'Runs in this process.' : module.placement.kind === 'remote' ? `Runs in another process, called at ${module.placement.url}.` : 'Runs in another process.';
  show(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/map' }, 'Module map'), ' / ', module.name),
    h('h1', {}, module.name),
    h('p', { class: 'lead' }, module.description),
    h('p', {}, h('strong', {}, 'Owners: '), module.owners.join(', '), ' · ', placement),

    section(
      'Depends on',
      module.dependsOn.length,
      module.dependsOn.length
        ? h(
            'table',
            {},
            h('tr', {}, h('th', {}, 'module'), h('th', {}, 'why'), h('th', {}, 'how')),
            module.dependsOn.map((dependency) =>
              h(
                'tr',
                {},
                h('td', {}, h('a', { href: `#/modules/${dependency.module}` }, dependency.module)),
                h('td', {}, dependency.reason),
                h('td', {}, [dependency.callsApi ? 'calls its API' : '', ...dependency.events].filter(Boolean).join(', ') || 'declared'),
              ),
            ),
          )
        : none('No other module.'),
    ),

    section(
      'Dependants',
      details.dependants.length,
      details.dependants.length
        ? h(
            'table',
            {},
            h('tr', {}, h('th', {}, 'module'), h('th', {}, 'why'), h('th', {}, 'owners')),
            details.dependants.map((dependant) => h('tr', {}, h('td', {}, h('a', { href: `#/modules/${dependant.module}` }, dependant.module)), h('td', {}, dependant.reason), h('td', {}, dependant.owners.join(', ')))),
          )
        : none('No module depends on this one.'),
    ),

    section(
      'Contract methods',
      details.methods.length,
      details.methods.length
        ? details.methods.map((method) =>
            h(
              'div',
              { class: 'item', 'data-method': method.name },
              h('h3', {}, h('code', {}, `${module.name}.${method.name}`), method.idempotent ? h('span', { class: 'tag' }, 'idempotent') : ''),
              h('p', {}, method.description),
              jsonBlock(`input ${schemaSummary(method.input)}`, method.input),
              jsonBlock(`output ${schemaSummary(method.output)}`, method.output),
            ),
          )
        : none('The contract offers no methods: others learn from its events.'),
    ),

    section(
      'HTTP routes',
      details.routes.length,
      details.routes.length
        ? details.routes.map((route) =>
            h(
              'div',
              { class: 'item route', 'data-route': `${route.method} ${route.url}` },
              h('h3', {}, h('span', { class: `method ${route.method.toLowerCase()}` }, route.method), ' ', h('code', {}, route.url)),
              route.summary ? h('p', {}, route.summary) : '',
              route.operation ? jsonBlock('OpenAPI operation (parameters, body, responses)', route.operation) : '',
            ),
          )
        : none('No HTTP routes.'),
      h('p', { class: 'hint' }, 'Try them in ', h('a', { href: '/docs' }, '/docs'), '.'),
    ),

    section(
      'Events published',
      details.publishes.length,
      details.publishes.length
        ? details.publishes.map((event) =>
            h(
              'div',
              { class: 'item', 'data-event': event.event },
              h('h3', {}, h('code', {}, `${event.event}@${event.version}`)),
              h('p', {}, event.description),
              h('p', {}, h('strong', {}, 'Subscribers: '), event.consumers.length ? event.consumers.map((consumer, i) => [i ? ', ' : '', h('a', { href: `#/modules/${consumer.module}` }, consumer.module), `@${consumer.version}`]) : 'none'),
              jsonBlock(`schema ${schemaSummary(event.schema)}`, event.schema),
              event.earlier.map((earlier) => jsonBlock(`earlier version ${earlier.version} ${schemaSummary(earlier.schema)}`, earlier.schema)),
            ),
          )
        : none('It publishes no events.'),
    ),

    section(
      'Events consumed',
      details.consumes.length,
      details.consumes.length
        ? details.consumes.map((event) =>
            h(
              'div',
              { class: 'item', 'data-consumes': event.event },
              h('h3', {}, h('code', {}, `${event.event}@${event.version}`), ' from ', h('a', { href: `#/modules/${event.producer}` }, event.producer)),
              h('p', {}, event.description),
              h('p', { class: 'hint' }, `subscription ${event.subscription}, ${event.partitions} partition${event.partitions === 1 ? '' : 's'}`),
              jsonBlock(`schema ${schemaSummary(event.schema)}`, event.schema),
            ),
          )
        : none('It subscribes to no events.'),
    ),

    section(
      'Tables',
      details.tables?.filter((table) => !table.platform).length,
      details.tables === null
        ? none('The module runs in another process; its tables are in a database this process does not read.')
        : [
            details.tables
              .filter((table) => !table.platform)
              .map((table) =>
                h(
                  'div',
                  { class: 'item', 'data-table': table.name },
                  h('h3', {}, h('code', {}, table.name)),
                  h(
                    'table',
                    { class: 'columns' },
                    h('tr', {}, h('th', {}, 'column'), h('th', {}, 'type'), h('th', {}, 'null'), h('th', {}, 'default')),
                    table.columns.map((column) => h('tr', {}, h('td', {}, h('code', {}, column.name)), h('td', {}, column.type), h('td', {}, column.nullable ? 'yes' : ''), h('td', {}, column.default ?? ''))),
                  ),
                ),
              ),
            h('p', { class: 'hint' }, `Platform tables in the same schema: ${details.tables.filter((table) => table.platform).map((table) => table.name).join(', ') || 'none'}.`),
          ],
    ),
  );
}
