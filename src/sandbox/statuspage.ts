/**
 * Atlassian Statuspage's REST API v1 under `/v1/pages`: pages, components and incidents (realtime and
 * scheduled maintenance) with their incident updates. Authenticated by `Authorization: OAuth <key>`
 * (or `?api_key=`); errors are `{ "error": ... }` with Statuspage's statuses, throttling is 420.
 */
import { z } from 'zod';
import { json, type Emulator, type HttpInput, type HttpOutput } from './http-types.js';
import type { Scenario } from './scenario.js';
import { advanceSchedules, isActiveMaintenance, isUnresolved, isUpcoming, writeIncident } from './statuspage-incidents.js';
import {
  COMPONENT_STATUSES,
  renderComponent,
  renderIncident,
  statuspageId,
  statuspageState,
  type Component,
  type ComponentStatus,
  type Incident,
  type Page,
} from './statuspage-state.js';
import type { World } from './world.js';

const componentStatusSchema = z.enum(COMPONENT_STATUSES);

export const statuspageScenario = z.strictObject({
  /** API keys (sent as `Authorization: OAuth <key>`); each can manage every page. */
  apiKeys: z.array(z.string().min(8)).default([]),
  pages: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[a-z0-9-]{1,32}$/, 'expected a page id of lowercase letters, digits and -'),
        name: z.string().min(1),
        subdomain: z.string().optional(),
        components: z
          .array(
            z.strictObject({
              name: z.string().min(1),
              status: componentStatusSchema.default('operational'),
              description: z.string().optional(),
              showcase: z.boolean().default(true),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

export function seedStatuspage(world: World, scenario: Scenario): void {
  const config = scenario.statuspage;
  if (!config) return;
  const state = statuspageState(world);
  for (const key of config.apiKeys) state.apiKeys.add(key);
  for (const p of config.pages) {
    const createdAt = world.ago(2 * 365 * 24 * 3600 * 1000);
    const page: Page = {
      id: p.id,
      name: p.name,
      subdomain: p.subdomain ?? p.id,
      createdAt,
      components: new Map(),
      incidents: new Map(),
      incidentOrder: [],
      pendingSchedules: new Set(),
    };
    p.components.forEach((c, index) => {
      const component = newComponent(world, page, { name: c.name, status: c.status, description: c.description ?? null, showcase: c.showcase });
      component.position = index + 1;
      component.createdAt = createdAt;
      component.updatedAt = createdAt;
    });
    state.pages.set(page.id, page);
  }
}

function newComponent(world: World, page: Page, fields: { name: string; status: ComponentStatus; description: string | null; showcase: boolean }): Component {
  const now = world.now();
  const component: Component = {
    id: statuspageId(world, 'component'),
    pageId: page.id,
    name: fields.name,
    description: fields.description,
    status: fields.status,
    position: page.components.size + 1,
    showcase: fields.showcase,
    onlyShowIfDegraded: false,
    groupId: null,
    startDate: null,
    createdAt: now,
    updatedAt: now,
  };
  page.components.set(component.id, component);
  return component;
}

// ---- requests ----

class StatuspageError extends Error {
  constructor(
    readonly status: number,
    readonly error: string | string[],
  ) {
    super(Array.isArray(error) ? error.join('; ') : error);
  }
}

const NOT_FOUND = () => new StatuspageError(404, 'The requested resource could not be found.');

/** Form bodies in Rails' bracket notation: `incident[components][abc]=major_outage`, `incident[component_ids][]=abc`. */
function parseForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const parts = key.replace(/\]/g, '').split('[');
    let node = out;
    parts.forEach((part, i) => {
      const next = parts[i + 1];
      if (next === '') {
        const list = Array.isArray(node[part]) ? (node[part] as unknown[]) : [];
        list.push(value);
        node[part] = list;
      } else if (next === undefined) {
        if (part !== '') node[part] = value;
      } else {
        node[part] = node[part] && typeof node[part] === 'object' ? node[part] : {};
        node = node[part] as Record<string, unknown>;
      }
    });
  }
  return out;
}

function parseBody(input: HttpInput): Record<string, unknown> {
  const text = input.body.toString('utf8');
  if (text.trim() === '') return {};
  if (String(input.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) return parseForm(text);
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new StatuspageError(400, 'The request body is not valid JSON.');
}

/** Rails' strong parameters: the resource must come wrapped in its name. */
function wrapped(body: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = body[name];
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new StatuspageError(400, `param is missing or the value is empty: ${name}`);
  return value as Record<string, unknown>;
}

/** `?page=` (1-based) and `?per_page=` (or the older `?limit=`), at most 100 a page. */
function paginate<T>(items: T[], query: URLSearchParams): T[] {
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  const perPage = Math.min(100, Math.max(1, Number.parseInt(query.get('per_page') ?? query.get('limit') ?? '100', 10) || 100));
  return items.slice((page - 1) * perPage, page * perPage);
}

function renderPage(page: Page) {
  return {
    id: page.id,
    created_at: page.createdAt.toISOString(),
    updated_at: page.createdAt.toISOString(),
    name: page.name,
    page_description: null,
    headline: null,
    branding: 'premium',
    subdomain: page.subdomain,
    domain: null,
    url: null,
    support_url: null,
    hidden_from_search: false,
    allow_page_subscribers: true,
    allow_incident_subscribers: true,
    allow_email_subscribers: true,
    allow_sms_subscribers: true,
    allow_rss_atom_feeds: true,
    allow_webhook_subscribers: true,
    time_zone: 'Etc/UTC',
  };
}

function componentFields(raw: Record<string, unknown>, creating: boolean): Partial<Component> {
  const errors: string[] = [];
  const fields: Partial<Component> = {};
  if (raw['name'] !== undefined || creating) {
    const name = String(raw['name'] ?? '').trim();
    if (name === '') errors.push("Name can't be blank");
    fields.name = name;
  }
  if (raw['status'] !== undefined) {
    if (!(COMPONENT_STATUSES as readonly string[]).includes(String(raw['status']))) errors.push('Status is not included in the list');
    fields.status = raw['status'] as ComponentStatus;
  }
  if (raw['description'] !== undefined) fields.description = raw['description'] === null ? null : String(raw['description']);
  if (raw['showcase'] !== undefined) fields.showcase = raw['showcase'] === true || raw['showcase'] === 'true' || raw['showcase'] === 't';
  if (raw['only_show_if_degraded'] !== undefined) fields.onlyShowIfDegraded = raw['only_show_if_degraded'] === true || raw['only_show_if_degraded'] === 'true';
  if (raw['start_date'] !== undefined) fields.startDate = raw['start_date'] === null ? null : String(raw['start_date']);
  if (errors.length > 0) throw new StatuspageError(422, errors);
  return fields;
}

interface Call {
  world: World;
  page: Page;
  method: string;
  /** Path segments after the page id: `['incidents', 'abc123']`. */
  rest: string[];
  query: URLSearchParams;
  input: HttpInput;
}

function newestFirst(page: Page, filter: (i: Incident) => boolean): Incident[] {
  const out: Incident[] = [];
  for (let i = page.incidentOrder.length - 1; i >= 0; i--) {
    const incident = page.incidents.get(page.incidentOrder[i] as string);
    if (incident && filter(incident)) out.push(incident);
  }
  return out;
}

function components({ world, page, method, rest, input }: Call): HttpOutput {
  const id = rest[1];
  if (id === undefined) {
    if (method === 'GET') {
      const list = [...page.components.values()].sort((a, b) => a.position - b.position);
      return json(200, paginate(list, input.query).map(renderComponent));
    }
    if (method === 'POST') {
      const fields = componentFields(wrapped(parseBody(input), 'component'), true);
      const component = newComponent(world, page, { name: fields.name as string, status: fields.status ?? 'operational', description: fields.description ?? null, showcase: fields.showcase ?? true });
      Object.assign(component, fields);
      return json(201, renderComponent(component));
    }
    throw NOT_FOUND();
  }
  const component = page.components.get(id);
  if (!component) throw NOT_FOUND();
  if (method === 'GET') return json(200, renderComponent(component));
  if (method === 'PATCH' || method === 'PUT') {
    Object.assign(component, componentFields(wrapped(parseBody(input), 'component'), false), { updatedAt: world.now() });
    return json(200, renderComponent(component));
  }
  if (method === 'DELETE') {
    page.components.delete(id);
    return { status: 204 };
  }
  throw NOT_FOUND();
}

const LISTS: Record<string, (incident: Incident, now: Date) => boolean> = {
  unresolved: isUnresolved,
  scheduled: (i) => i.scheduled,
  upcoming: isUpcoming,
  active_maintenance: isActiveMaintenance,
};

function incidents({ world, page, method, rest, input, query }: Call): HttpOutput {
  advanceSchedules(world, page);
  const id = rest[1];
  const now = world.now();
  if (id === undefined) {
    if (method === 'GET') {
      const q = query.get('q')?.toLowerCase();
      const matches = (i: Incident) => !q || [i.name, i.status, ...i.updates.map((u) => u.body)].some((text) => text.toLowerCase().includes(q));
      return json(200, paginate(newestFirst(page, matches), query).map((i) => renderIncident(page, i)));
    }
    if (method === 'POST') {
      const result = writeIncident(world, page, wrapped(parseBody(input), 'incident'));
      if (Array.isArray(result)) throw new StatuspageError(422, result);
      return json(201, renderIncident(page, result));
    }
    throw NOT_FOUND();
  }
  const list = Object.hasOwn(LISTS, id) ? LISTS[id] : undefined;
  if (list && method === 'GET') return json(200, paginate(newestFirst(page, (i) => list(i, now)), query).map((i) => renderIncident(page, i)));
  const incident = page.incidents.get(id);
  if (!incident || rest.length > 2) throw NOT_FOUND();
  if (method === 'GET') return json(200, renderIncident(page, incident));
  if (method === 'PATCH' || method === 'PUT') {
    const result = writeIncident(world, page, wrapped(parseBody(input), 'incident'), incident);
    if (Array.isArray(result)) throw new StatuspageError(422, result);
    return json(200, renderIncident(page, result));
  }
  if (method === 'DELETE') {
    page.incidents.delete(id);
    page.incidentOrder.splice(page.incidentOrder.indexOf(id), 1);
    page.pendingSchedules.delete(id);
    return json(200, renderIncident(page, incident));
  }
  throw NOT_FOUND();
}

function authenticated(world: World, input: HttpInput): boolean {
  const header = input.headers.authorization;
  const key = typeof header === 'string' && /^OAuth /i.test(header) ? header.slice('OAuth '.length).trim() : input.query.get('api_key');
  return key !== null && statuspageState(world).apiKeys.has(key);
}

function serve(world: World, input: HttpInput, segments: string[]): HttpOutput {
  try {
    if (!authenticated(world, input)) throw new StatuspageError(401, 'Could not authenticate');
    const method = input.method.toUpperCase();
    const [pageId, ...rest] = segments;
    if (pageId === undefined) {
      if (method !== 'GET') throw NOT_FOUND();
      return json(200, [...statuspageState(world).pages.values()].map(renderPage));
    }
    const page = statuspageState(world).pages.get(pageId);
    if (!page) throw NOT_FOUND();
    const call: Call = { world, page, method, rest, query: input.query, input };
    if (rest.length === 0 && method === 'GET') return json(200, renderPage(page));
    if (rest[0] === 'components' && rest.length <= 2) return components(call);
    if (rest[0] === 'incidents') return incidents(call);
    throw NOT_FOUND();
  } catch (err) {
    if (err instanceof StatuspageError) return { ...json(err.status, { error: err.error }), errorCode: String(err.status) };
    throw err;
  }
}

/** The operation name for the recorder and fault rules: `PATCH /pages/{page_id}/components/{component_id}`. */
function operationName(method: string, segments: string[]): string {
  const [pageId, section, id] = segments;
  let template = '/pages';
  if (pageId !== undefined) template += '/{page_id}';
  if (section !== undefined) template += `/${section}`;
  if (id !== undefined) template += Object.hasOwn(LISTS, id) && section === 'incidents' ? `/${id}` : section === 'components' ? '/{component_id}' : '/{incident_id}';
  return `${method.toUpperCase()} ${template}`;
}

export const statuspage: Emulator = {
  name: 'statuspage',
  route(input, world) {
    const match = /^\/v1\/pages(\/.*)?$/.exec(input.path.replace(/\.json$/, ''));
    if (!match) return undefined;
    const segments = (match[1] ?? '').split('/').filter((s) => s !== '');
    return {
      service: 'statuspage',
      operation: operationName(input.method, segments),
      handle: async () => serve(world, input, segments),
      // Statuspage documents 420 (and 429) for its one-request-a-second limit.
      throttled: () => ({ ...json(420, { error: 'Rate limit exceeded. Please slow down.' }, { 'retry-after': '1' }), errorCode: '420' }),
      failed: (status) => ({ ...json(status, { error: 'Internal Server Error' }), errorCode: String(status) }),
    };
  },
  inspect: {
    /** Every incident on every page, newest first, as the API renders them. */
    'statuspage/incidents': (world) =>
      [...statuspageState(world).pages.values()].flatMap((page) => {
        advanceSchedules(world, page);
        return newestFirst(page, () => true).map((i) => renderIncident(page, i));
      }),
    'statuspage/components': (world) =>
      [...statuspageState(world).pages.values()].flatMap((page) =>
        [...page.components.values()].sort((a, b) => a.position - b.position).map(renderComponent),
      ),
  },
};
