/**
 * The demo platform's public endpoints, what Vigil's probes fetch: `/site/<host>/<path>` answers as the
 * scenario says (status, body, latency), and tests and the demo change that at runtime to take the
 * site down and bring it back:
 *
 *   PUT    /_sandbox/site/<host>/<path>   { "status": 503 } | { "latency": "2s" } | { "hang": true } | ...
 *   DELETE /_sandbox/site/<host>/<path>   back to the scenario's behaviour
 *   GET    /_sandbox/site                 every endpoint and how it answers now
 *
 * A PUT states the whole deviation from normal: fields it leaves out come from the scenario, not from
 * an earlier PUT. Latency and hangs are real time (like fault latency), so real clients time out.
 */
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { validateInput } from '../core/input.js';
import { json, type Emulator, type HttpInput, type HttpOutput } from './http-types.js';
import type { Scenario } from './scenario.js';
import { durationSchema } from './scenario-types.js';
import { HANG } from './server.js';
import type { World } from './world.js';

const hostSchema = z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/, 'expected a host name such as app.example.com');
const pathSchema = z.string().regex(/^\/[^\s?#]*$/, 'expected a path starting with / (no query string)');

/** How an endpoint answers; every field optional so a runtime change can name only what differs. */
const behaviourFields = {
  status: z.number().int().min(100).max(599).optional(),
  /** Body text; or `json`, sent as JSON with its content type. */
  body: z.string().optional(),
  json: z.unknown().optional(),
  contentType: z.string().min(1).optional(),
  /** Added before answering, e.g. `300ms`, `2s`. */
  latency: durationSchema.optional(),
  /** Accept the connection and never answer. */
  hang: z.boolean().optional(),
};

const oneBody = (b: { body?: string; json?: unknown }) => b.body === undefined || b.json === undefined;
const ONE_BODY = { message: 'give body or json, not both', path: ['json'] };

export const siteScenario = z
  .strictObject({
    endpoints: z
      .array(z.strictObject({ host: hostSchema, path: pathSchema, ...behaviourFields }).refine(oneBody, ONE_BODY))
      .default([]),
  })
  .superRefine((site, ctx) => {
    const seen = new Map<string, number>();
    site.endpoints.forEach((e, index) => {
      const first = seen.get(endpointKey(e.host, e.path));
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['endpoints', index, 'path'], message: `duplicate endpoint (also site.endpoints[${first}])` });
      else seen.set(endpointKey(e.host, e.path), index);
    });
  });

const changeSchema = z.strictObject(behaviourFields).refine(oneBody, ONE_BODY);
type Change = z.output<typeof changeSchema>;

const TEXT = 'text/plain; charset=utf-8';

interface Behaviour {
  status: number;
  body: string;
  contentType: string;
  latencyMs: number;
  hang: boolean;
}

interface SiteState {
  /** As the scenario set them, by `host/path`. */
  normal: Map<string, Change>;
  /** Runtime changes over `normal`. */
  changes: Map<string, Change>;
}

function siteState(world: World): SiteState {
  return world.slice('site', () => ({ normal: new Map(), changes: new Map() }));
}

function endpointKey(host: string, path: string): string {
  return `${host.toLowerCase()}${path}`;
}

export function seedSite(world: World, scenario: Scenario): void {
  const state = siteState(world);
  for (const { host, path, ...behaviour } of scenario.site?.endpoints ?? []) state.normal.set(endpointKey(host, path), behaviour);
}

function behaviourOf(state: SiteState, key: string): Behaviour | undefined {
  const normal = state.normal.get(key);
  const change = state.changes.get(key);
  if (!normal && !change) return undefined;
  const merged: Change = { ...normal, ...change };
  // A change that only gives a body kind replaces the other kind too.
  if (change?.body !== undefined) delete merged.json;
  if (change?.json !== undefined) delete merged.body;
  const status = merged.status ?? 200;
  const latencyMs = merged.latency ?? 0;
  const hang = merged.hang ?? false;
  // An error status set without a body of its own answers like a web server's error page, not with
  // the healthy body the endpoint had.
  if (change?.status !== undefined && change.body === undefined && change.json === undefined && status >= 400) {
    return { status, body: STATUS_CODES[status] ?? 'Error', contentType: TEXT, latencyMs, hang };
  }
  if (merged.json !== undefined) return { status, body: JSON.stringify(merged.json), contentType: merged.contentType ?? 'application/json', latencyMs, hang };
  return { status, body: merged.body ?? '', contentType: merged.contentType ?? TEXT, latencyMs, hang };
}

async function answer(world: World, host: string, path: string, method: string): Promise<HttpOutput> {
  const behaviour = behaviourOf(siteState(world), endpointKey(host, path));
  if (!behaviour) return { status: 404, headers: { 'content-type': TEXT }, body: 'Not Found', errorCode: '404' };
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: { allow: 'GET, HEAD', 'content-type': TEXT }, body: 'Method Not Allowed', errorCode: '405' };
  if (behaviour.hang) return HANG;
  if (behaviour.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, behaviour.latencyMs));
  return { status: behaviour.status, headers: { 'content-type': behaviour.contentType, 'cache-control': 'no-store' }, body: behaviour.body, errorCode: behaviour.status >= 400 ? String(behaviour.status) : undefined };
}

function view(state: SiteState, key: string) {
  const behaviour = behaviourOf(state, key) as Behaviour;
  const slash = key.indexOf('/');
  return { host: key.slice(0, slash), path: key.slice(slash), changed: state.changes.has(key), ...behaviour };
}

function control(route: string, input: HttpInput, world: World): HttpOutput | undefined {
  const match = /^site\/([^/]+)(\/.*)?$/.exec(route);
  if (!match) return undefined;
  const key = endpointKey(match[1] as string, match[2] ?? '/');
  const state = siteState(world);
  if (input.method === 'GET') return state.normal.has(key) || state.changes.has(key) ? json(200, view(state, key)) : json(404, { error: `no site endpoint ${key}` });
  if (input.method === 'DELETE') {
    state.changes.delete(key);
    return { status: 204 };
  }
  if (input.method !== 'PUT') return json(405, { error: 'use GET, PUT or DELETE' });
  try {
    const change = validateInput(parseJson(input.body), changeSchema, 'request body');
    state.changes.set(key, change);
    return json(200, view(state, key));
  } catch (err) {
    if (err instanceof ConfigError) return json(400, { error: 'invalid site endpoint change', problems: err.problems });
    throw err;
  }
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError([{ file: 'request body', path: '', message: 'not valid JSON' }]);
  }
}

export const site: Emulator = {
  name: 'site',
  route(input, world) {
    const match = /^\/site\/([^/]+)(\/.*)?$/.exec(input.path);
    if (!match) return undefined;
    const host = (match[1] as string).toLowerCase();
    const path = match[2] ?? '/';
    const method = input.method.toUpperCase();
    return {
      service: 'site',
      // Fault rules can aim at one endpoint: `{ service: site, operation: "GET app.example.com/health" }`.
      operation: `${method} ${host}${path}`,
      handle: () => answer(world, host, path, method),
      throttled: () => ({ status: 429, headers: { 'content-type': TEXT, 'retry-after': '1' }, body: 'Too Many Requests', errorCode: '429' }),
      failed: (status) => ({ status, headers: { 'content-type': TEXT }, body: STATUS_CODES[status] ?? 'Error', errorCode: String(status) }),
    };
  },
  control,
  inspect: {
    /** Every endpoint and how it answers now. */
    site: (world) => {
      const state = siteState(world);
      return [...new Set([...state.normal.keys(), ...state.changes.keys()])].sort().map((key) => view(state, key));
    },
  },
};
