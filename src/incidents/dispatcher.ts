/**
 * Delivers the outbox. Each message is claimed under a lease (so the service and a person's CLI never
 * deliver the same row at once), handed to its channel with what the channel remembered about the
 * subject, and then marked delivered together with the channel's new refs. 429 and 5xx back off
 * (honouring Retry-After) and try again; other 4xx stop the message and are reported. A crash between a
 * delivery and its record leaves the row claimable again once the lease ends; the channels recognise
 * their own earlier delivery, so nothing is posted twice.
 */
import { hostname } from 'node:os';
import type { Clock } from '../core/clock.js';
import { redact } from '../core/redact.js';
import type { IncidentStore, OutboxRecord } from '../store/incident-types.js';
import { DeliveryError, type Channel, type ChannelName } from './delivery.js';

export interface DispatchOptions {
  /** Who holds the lease: `pid@host`. */
  owner?: string;
  /** How long a claim holds; longer than a channel's request timeout. */
  leaseMs?: number;
  batch?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface DispatchDeps {
  store: IncidentStore;
  clock: Clock;
  channels: readonly Channel[];
}

export interface DispatchOutcome {
  delivered: Array<{ id: string; channel: ChannelName }>;
  retrying: Array<{ id: string; channel: ChannelName; error: string; nextAttemptAt: string }>;
  failed: Array<{ id: string; channel: ChannelName; error: string }>;
}

const DEFAULTS = { leaseMs: 60_000, batch: 25, initialBackoffMs: 5_000, maxBackoffMs: 15 * 60_000 };

/** One pass: claims what is deliverable now and delivers it; returns what happened. */
export async function dispatchOnce(deps: DispatchDeps, options: DispatchOptions = {}): Promise<DispatchOutcome> {
  const o = { ...DEFAULTS, owner: `${process.pid}@${hostname()}`, ...options };
  const outcome: DispatchOutcome = { delivered: [], retrying: [], failed: [] };
  const now = deps.clock.now();
  const claimed = await deps.store.claimOutbox(now.toISOString(), o.owner, new Date(now.getTime() + o.leaseMs).toISOString(), o.batch);
  for (const message of claimed) await deliverOne(deps, message, o, outcome);
  return outcome;
}

/**
 * Passes until nothing more is deliverable now (a subject's next message becomes deliverable once the
 * one before it is delivered), or `maxPasses`. What backs off stays for a later pass.
 */
export async function drainOutbox(deps: DispatchDeps, options: DispatchOptions & { maxPasses?: number } = {}): Promise<DispatchOutcome> {
  const total: DispatchOutcome = { delivered: [], retrying: [], failed: [] };
  for (let pass = 0; pass < (options.maxPasses ?? 50); pass++) {
    const outcome = await dispatchOnce(deps, options);
    total.delivered.push(...outcome.delivered);
    total.retrying.push(...outcome.retrying);
    total.failed.push(...outcome.failed);
    if (outcome.delivered.length === 0) break;
  }
  return total;
}

async function deliverOne(deps: DispatchDeps, message: OutboxRecord, o: typeof DEFAULTS, outcome: DispatchOutcome): Promise<void> {
  const channel = deps.channels.find((c) => c.name === message.channel);
  if (!channel) {
    const error = `the ${message.channel} integration is not configured; configure it and run \`vigil incident outbox --retry\``;
    await deps.store.outboxFailed(message.id, error);
    outcome.failed.push({ id: message.id, channel: message.channel, error });
    return;
  }
  const refs = await deps.store.channelRefs(message.subjectId, message.channel);
  try {
    const next = await channel.deliver(message.notification, refs);
    await deps.store.outboxDelivered(message.id, deps.clock.now().toISOString(), next);
    outcome.delivered.push({ id: message.id, channel: message.channel });
  } catch (err) {
    const failure = err instanceof DeliveryError ? err : new DeliveryError(err instanceof Error ? err.message : String(err), true);
    const error = redact(`${message.channel}: ${failure.message}`);
    if (!failure.retryable) {
      await deps.store.outboxFailed(message.id, error);
      outcome.failed.push({ id: message.id, channel: message.channel, error });
      return;
    }
    const wait = Math.max(backoff(message.attempts, o), failure.retryAfterMs ?? 0);
    const nextAttemptAt = new Date(deps.clock.now().getTime() + wait).toISOString();
    await deps.store.outboxRetry(message.id, nextAttemptAt, error);
    outcome.retrying.push({ id: message.id, channel: message.channel, error, nextAttemptAt });
  }
}

/** Exponential: 5 s, 10 s, 20 s, ... capped; deterministic so tests can step an injected clock. */
export function backoff(attempts: number, o: { initialBackoffMs: number; maxBackoffMs: number }): number {
  return Math.min(o.maxBackoffMs, o.initialBackoffMs * 2 ** Math.min(attempts, 20));
}
