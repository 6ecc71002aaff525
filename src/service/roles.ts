/**
 * Who may do what through the API: the four roles of issue #7. What each role may call is the matrix in
 * src/service/http/access.ts; this file only names them, so the store, the CLI and the server agree.
 */
export const ROLES = ['oncall', 'ops', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  oncall: 'incidents: read, open and act on them; read check runs, drills and schedules',
  ops: 'run checks and drills; read check runs, drills, schedules and incidents',
  auditor: 'read evidence: incidents, check runs, drills, schedules and reports',
  admin: 'manage API tokens, and everything the other roles may do',
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
