/**
 * What clients sent, for tests and the demo: a bounded log of recent calls plus counts that never
 * drop, so a benchmark estate with millions of calls does not grow memory.
 */
export interface CallRecord {
  seq: number;
  at: string;
  /** `aws:ec2`, `vault`, `slack`, `pagerduty`, `statuspage`. */
  service: string;
  operation: string;
  /** AWS calls: the IAM action the request needed. */
  action?: string;
  account?: string;
  region?: string;
  accessKeyId?: string;
  status: number;
  errorCode?: string;
  /** Set when a fault rule, not the emulator, produced the answer. */
  fault?: 'throttle' | 'error' | 'hang';
}

export interface CallCount {
  service: string;
  operation: string;
  account?: string;
  region?: string;
  calls: number;
  errors: number;
  throttled: number;
}

const MAX_RECENT = 20_000;

export class Recorder {
  private seq = 0;
  private recent: CallRecord[] = [];
  private counts = new Map<string, CallCount>();

  record(entry: Omit<CallRecord, 'seq' | 'at'> & { at?: string }): CallRecord {
    this.seq += 1;
    const record: CallRecord = { ...entry, seq: this.seq, at: entry.at ?? new Date().toISOString() };
    this.recent.push(record);
    if (this.recent.length > MAX_RECENT) this.recent.splice(0, this.recent.length - MAX_RECENT);
    const key = `${record.service}|${record.operation}|${record.account ?? ''}|${record.region ?? ''}`;
    let count = this.counts.get(key);
    if (!count) {
      count = { service: record.service, operation: record.operation, account: record.account, region: record.region, calls: 0, errors: 0, throttled: 0 };
      this.counts.set(key, count);
    }
    count.calls += 1;
    if (record.status >= 400) count.errors += 1;
    if (record.fault === 'throttle') count.throttled += 1;
    return record;
  }

  calls(filter: { service?: string; operation?: string; account?: string; since?: number; limit?: number } = {}): CallRecord[] {
    const out = this.recent.filter(
      (r) =>
        (filter.service === undefined || r.service === filter.service) &&
        (filter.operation === undefined || r.operation === filter.operation) &&
        (filter.account === undefined || r.account === filter.account) &&
        (filter.since === undefined || r.seq > filter.since),
    );
    return filter.limit === undefined ? out : out.slice(-filter.limit);
  }

  summary(): CallCount[] {
    return [...this.counts.values()].sort((a, b) => `${a.service}${a.operation}`.localeCompare(`${b.service}${b.operation}`));
  }

  get lastSeq(): number {
    return this.seq;
  }

  reset(): void {
    this.recent = [];
    this.counts.clear();
  }
}
