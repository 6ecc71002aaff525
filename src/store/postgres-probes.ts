/** ProbeStateStore on PostgreSQL: each probe's alerting state, and every observation for uptime reports. */
import type { ProbeObservation, ProbeState, ProbeStateStore } from '../incidents/probes.js';
import type { PgDb } from './postgres-db.js';

export class PostgresProbeStore implements ProbeStateStore {
  constructor(private readonly db: PgDb) {}

  async load(name: string): Promise<ProbeState | undefined> {
    const row = await this.db.one<{ state: string }>('SELECT state FROM probe_state WHERE name = $1', [name]);
    return row ? (JSON.parse(row.state) as ProbeState) : undefined;
  }

  async save(name: string, state: ProbeState): Promise<void> {
    await this.db.run('INSERT INTO probe_state (name, state) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET state = excluded.state', [name, JSON.stringify(state)]);
  }

  async record(observation: ProbeObservation): Promise<void> {
    await this.db.run('INSERT INTO probe_observations (probe, at, outcome, doc) VALUES ($1, $2, $3, $4)', [observation.probe, observation.at, observation.outcome, JSON.stringify(observation)]);
  }

  async observations(since: string, probe?: string): Promise<ProbeObservation[]> {
    const rows = await this.db.rows<{ doc: string }>('SELECT doc FROM probe_observations WHERE at >= $1 AND ($2::text IS NULL OR probe = $2) ORDER BY at, seq', [since, probe ?? null]);
    return rows.map((r) => JSON.parse(r.doc) as ProbeObservation);
  }
}
