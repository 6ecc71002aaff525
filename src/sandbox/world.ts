/**
 * The sandbox's whole state: accounts, the credentials that identify callers, and one state slice per
 * emulated service. Emulators own their slices; the world only keys them.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { Recorder } from './recorder.js';
import { Faults } from './faults.js';

export interface SandboxAccount {
  id: string;
  name: string;
  email: string;
  status: 'ACTIVE' | 'SUSPENDED';
  /** Regions that DescribeRegions reports as enabled (opted in). */
  enabledRegions: string[];
  joinedAt: Date;
  /** The organizational unit holding the account; the root when absent. */
  parentId?: string;
}

export interface SandboxOrganizationalUnit {
  id: string;
  name: string;
  /** The parent unit's id, or the root's. */
  parentId: string;
}

export interface SandboxCredential {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  accountId: string;
  /** The caller's ARN, e.g. `arn:aws:iam::111111111111:user/vigil` or an assumed-role session ARN. */
  principalArn: string;
  /** The IAM user name or role name behind the key. */
  principalName: string;
  principalType: 'user' | 'assumed-role' | 'root';
  expiresAt?: Date;
  /** IAM actions (`service:Operation`, `*` wildcards allowed) this principal is denied. */
  denyActions: string[];
}

export class World {
  readonly clock: Clock;
  readonly accounts = new Map<string, SandboxAccount>();
  readonly credentials = new Map<string, SandboxCredential>();
  readonly recorder = new Recorder();
  readonly faults = new Faults();
  /** The account that owns the organization, when the scenario has one. */
  managementAccountId?: string;
  organizationId?: string;
  /** The organization's root (`r-...`) and its units, by id. */
  organizationRootId?: string;
  readonly organizationalUnits = new Map<string, SandboxOrganizationalUnit>();

  private readonly slices = new Map<string, unknown>();
  private readonly closers: Array<() => Promise<void> | void> = [];
  private counter = 0;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  now(): Date {
    return this.clock.now();
  }

  /** A date `ms` before now. */
  ago(ms: number): Date {
    return new Date(this.clock.now().getTime() - ms);
  }

  /** State owned by one emulator, created on first use. Key it by service, account and region. */
  slice<T>(key: string, init: () => T): T {
    let value = this.slices.get(key) as T | undefined;
    if (value === undefined) {
      value = init();
      this.slices.set(key, value);
    }
    return value;
  }

  account(id: string): SandboxAccount | undefined {
    return this.accounts.get(id);
  }

  /** Deterministic, unique hex ids (`vol-0f3a...`): stable across runs of the same scenario. */
  id(prefix: string, hexLength = 17): string {
    this.counter += 1;
    const hex = createHash('sha256').update(`${prefix}:${this.counter}`).digest('hex').slice(0, hexLength);
    return `${prefix}-${hex}`;
  }

  /** A fresh AWS-style access key id, e.g. for STS sessions and IAM CreateAccessKey. */
  accessKeyId(prefix: 'AKIA' | 'ASIA'): string {
    this.counter += 1;
    const body = createHash('sha256').update(`key:${this.counter}:${randomUUID()}`).digest('hex').toUpperCase();
    return `${prefix}${body.replace(/[^A-Z2-7]/g, '').padEnd(16, 'Q').slice(0, 16)}`;
  }

  requestId(): string {
    return randomUUID();
  }

  /** Registers cleanup (a Postgres server, a timer) to run when the sandbox stops. */
  onClose(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers.splice(0).reverse()) await fn();
  }
}
