/**
 * Who may call what: the one statement of the API's access matrix. The server registers each API route
 * with the roles listed here, and the tests sweep this table (every role against every route, plus no
 * token and a revoked token), so the table, the server and the tests cannot drift apart.
 *
 * The issue gives each role a purpose: `oncall` incidents, `ops` running checks and drills, `auditor`
 * reading evidence and reports, `admin` tokens. Reading is granted a little wider than that where the
 * work needs it: on-call reads the check runs and drills an incident links to (a failed drill raises
 * one) and ops reads incidents; nobody but auditors and admins reads reports; nobody but admins sees
 * tokens. `/metrics` takes any valid token: the issue says everything but the status page needs one,
 * and Prometheus scrapes with a bearer token (`authorization.credentials_file`), so give the scraper a
 * token of its own.
 */
import { ROLES, type Role } from '../roles.js';

export type ApiMethod = 'GET' | 'POST' | 'DELETE';

export interface RouteAccess {
  method: ApiMethod;
  url: string;
  roles: readonly Role[];
}

const EVERYONE = ROLES;
const READ_RUNS: readonly Role[] = ['oncall', 'ops', 'auditor', 'admin'];
const RUN_WORK: readonly Role[] = ['ops', 'admin'];
const READ_INCIDENTS: readonly Role[] = ['oncall', 'ops', 'auditor', 'admin'];
const CHANGE_INCIDENTS: readonly Role[] = ['oncall', 'admin'];
const READ_REPORTS: readonly Role[] = ['auditor', 'admin'];
const TOKENS: readonly Role[] = ['admin'];

export const API_PREFIX = '/api/v1';

export const API_ACCESS: readonly RouteAccess[] = [
  { method: 'GET', url: '/metrics', roles: EVERYONE },
  { method: 'GET', url: `${API_PREFIX}/incidents`, roles: READ_INCIDENTS },
  { method: 'GET', url: `${API_PREFIX}/incidents/:id`, roles: READ_INCIDENTS },
  { method: 'POST', url: `${API_PREFIX}/incidents`, roles: CHANGE_INCIDENTS },
  { method: 'POST', url: `${API_PREFIX}/incidents/:id/actions`, roles: CHANGE_INCIDENTS },
  { method: 'GET', url: `${API_PREFIX}/check-runs`, roles: READ_RUNS },
  { method: 'GET', url: `${API_PREFIX}/check-runs/:id`, roles: READ_RUNS },
  { method: 'POST', url: `${API_PREFIX}/check-runs`, roles: RUN_WORK },
  { method: 'GET', url: `${API_PREFIX}/drills`, roles: READ_RUNS },
  { method: 'GET', url: `${API_PREFIX}/drills/:id`, roles: READ_RUNS },
  { method: 'POST', url: `${API_PREFIX}/drills`, roles: RUN_WORK },
  { method: 'GET', url: `${API_PREFIX}/schedules`, roles: EVERYONE },
  { method: 'GET', url: `${API_PREFIX}/reports`, roles: READ_REPORTS },
  { method: 'GET', url: `${API_PREFIX}/reports/:id`, roles: READ_REPORTS },
  { method: 'GET', url: `${API_PREFIX}/tokens`, roles: TOKENS },
  { method: 'POST', url: `${API_PREFIX}/tokens`, roles: TOKENS },
  { method: 'DELETE', url: `${API_PREFIX}/tokens/:name`, roles: TOKENS },
];

/** Routes anyone may call: liveness and readiness say nothing but "up" and "ready". */
export const PUBLIC_URLS: readonly string[] = ['/healthz', '/readyz'];

/** The roles that may call a route of the table; a route missing from it is a bug, caught at start. */
export function rolesFor(method: ApiMethod, url: string): readonly Role[] {
  const entry = API_ACCESS.find((a) => a.method === method && a.url === url);
  if (!entry) throw new Error(`${method} ${url} is not in the access table (src/service/http/access.ts)`);
  return entry.roles;
}
