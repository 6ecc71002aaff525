/** ProbeStateStore on SQLite: each probe's alerting state, and every observation for uptime reports. */
import type Database from 'better-sqlite3';
import type { ProbeObservation, ProbeState, ProbeStateStore } from '../incidents/probes.js';

export class SqliteProbeStore implements ProbeStateStore {
  constructor(private readonly db: Database.Database) {}

  async load(name: string): Promise<ProbeState | undefined> {
    const row = this.db.prepare('SELECT state FROM probe_state WHERE name = ?').get(name) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as ProbeState) : undefined;
  }

  async save(name: string, state: ProbeState): Promise<void> {
    this.db.prepare('INSERT INTO probe_state (name, state) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET state = excluded.state').run(name, JSON.stringify(state));
  }

  async record(observation: ProbeObservation): Promise<void> {
    this.db.prepare('INSERT INTO probe_observations (probe, at, outcome, doc) VALUES (?, ?, ?, ?)').run(observation.probe, observation.at, observation.outcome, JSON.stringify(observation));
  }

  async observations(since: string, probe?: string): Promise<ProbeObservation[]> {
    const rows = this.db
      .prepare('SELECT doc FROM probe_observations WHERE at >= ? AND (? IS NULL OR probe = ?) ORDER BY at, seq')
      .all(since, probe ?? null, probe ?? null) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as ProbeObservation);
  }
}
