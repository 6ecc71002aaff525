/** A store in a temp dir, an injected clock and recording channels for pipeline tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.js';
import { DEFAULT_RULES } from '../../src/incidents/classify.js';
import type { DeliveryError} from '../../src/incidents/delivery.js';
import { type Announcement, type Channel, type ChannelName, type ChannelRefs, type Notification } from '../../src/incidents/delivery.js';
import type { IncidentDeps } from '../../src/incidents/service.js';
import { DEFAULT_SLA_POLICY } from '../../src/incidents/sla.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Signal } from '../../src/store/types.js';

export const T0 = '2026-11-24T09:00:00.000Z';

/**
 * Records what it was asked to deliver and what the remote side "holds". Idempotent by notification id
 * as the real channels are: a second delivery of an accepted id changes nothing remotely.
 */
export class RecordingChannel implements Channel {
  readonly calls: Notification[] = [];
  /** Ids the remote side accepted, in order; a real channel finds these by dedup key or metadata. */
  readonly accepted: string[] = [];
  /** Failures to throw on the next calls, in order. */
  readonly failures: DeliveryError[] = [];
  /** Simulates a crash after the remote accepted but before the result was recorded. */
  crashAfterAccept = false;

  constructor(
    readonly name: ChannelName,
    private readonly want: (a: Announcement) => boolean = () => true,
  ) {}

  wants(a: Announcement): boolean {
    return this.want(a);
  }

  async deliver(n: Notification, refs: ChannelRefs): Promise<ChannelRefs> {
    this.calls.push(n);
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (!this.accepted.includes(n.id)) this.accepted.push(n.id);
    if (this.crashAfterAccept) {
      this.crashAfterAccept = false;
      throw new Error('process killed after the remote side accepted');
    }
    return { ...refs, last: n.id, count: String(Number(refs['count'] ?? 0) + 1) };
  }
}

export function pipeline(options: { now?: string; statuspageApproval?: boolean; autoResolveAfterMs?: number; dataDir?: string } = {}) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'vigil-incidents-'));
  const store = SqliteStore.open(dataDir);
  const clock = new ManualClock(new Date(options.now ?? T0));
  const channels = {
    pagerduty: new RecordingChannel('pagerduty', (a) => a.subject === 'incident' && a.incident.severity !== 'sev4'),
    slack: new RecordingChannel('slack', (a) => a.subject !== 'component'),
    statuspage: new RecordingChannel('statuspage', (a) => a.subject !== 'incident' || ['sev1', 'sev2'].includes(a.incident.severity)),
  };
  const deps: IncidentDeps = {
    store: store.incidents,
    clock,
    channels: Object.values(channels),
    settings: {
      policy: DEFAULT_SLA_POLICY,
      rules: DEFAULT_RULES,
      autoResolveAfterMs: options.autoResolveAfterMs ?? 30 * 60_000,
      statuspageApproval: options.statuspageApproval ?? false,
      runbookBaseUrl: 'https://git.example.com/vigil/blob/main/',
    },
  };
  return { dataDir, store, clock, channels, deps };
}

export function drillFailed(id: string, raisedAt: string, extra: Record<string, unknown> = {}): Signal {
  return {
    id,
    kind: 'drill-failed',
    key: 'drill:analytics-prod',
    source: `drill ${id}`,
    raisedAt,
    summary: 'Restore drill analytics-prod failed: the restored database has no tables',
    payload: { target: 'analytics-prod', failure: 'the restored database has no tables', components: ['Reporting'], ...extra },
  };
}
