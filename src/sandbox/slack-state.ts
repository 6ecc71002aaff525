/**
 * Slack's workspace in the sandbox: one bot identity, its tokens, channels and the messages posted to
 * them. Message timestamps are Slack's `seconds.micros` strings, unique and increasing per workspace.
 */
import { createHash } from 'node:crypto';
import type { World } from './world.js';

export interface SlackToken {
  token: string;
  /** Undefined: every scope the sandbox checks. */
  scopes?: string[];
  revoked: boolean;
}

export interface SlackEdit {
  ts: string;
  text: string;
  blocks?: unknown[];
}

/** Message metadata, as an app attaches it: `{ event_type, event_payload }`. */
export interface SlackMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  micros: number;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: SlackMetadata;
  /** The parent's ts, for replies and for parents that have replies. */
  threadTs?: string;
  replyBroadcast: boolean;
  /** Parents only, oldest first. */
  replies: SlackMessage[];
  edits: SlackEdit[];
  /** Reaction name -> user ids, in the order they reacted. */
  reactions: Map<string, string[]>;
}

export interface SlackChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  isArchived: boolean;
  isMember: boolean;
  created: Date;
  topic: string;
  purpose: string;
  /** Top-level messages and broadcast replies, oldest first: what conversations.history reads. */
  history: SlackMessage[];
}

export interface SlackState {
  team: { id: string; name: string; domain: string };
  bot: { userId: string; botId: string; appId: string; name: string };
  tokens: Map<string, SlackToken>;
  channels: Map<string, SlackChannel>;
  /** Channel order for conversations.list, and each id's position in it (cursor lookups). */
  channelOrder: string[];
  channelIndex: Map<string, number>;
  byName: Map<string, string>;
  /** `channel/ts` -> message, replies included. */
  messages: Map<string, SlackMessage>;
  /** Every message in posting order, for the inspection view. */
  log: SlackMessage[];
  lastMicros: number;
}

/** A Slack-style id (`C0123ABCDE`) derived from a name, so ids are stable run to run. */
export function slackId(prefix: string, seed: string): string {
  return prefix + createHash('sha256').update(`${prefix}:${seed}`).digest('hex').toUpperCase().slice(0, 10);
}

export function slackState(world: World): SlackState {
  return world.slice('slack', () => ({
    team: { id: slackId('T', 'sandbox'), name: 'Sandbox', domain: 'sandbox' },
    bot: { userId: slackId('U', 'bot'), botId: slackId('B', 'bot'), appId: slackId('A', 'bot'), name: 'vigil' },
    tokens: new Map(),
    channels: new Map(),
    channelOrder: [],
    channelIndex: new Map(),
    byName: new Map(),
    messages: new Map(),
    log: [],
    lastMicros: 0,
  }));
}

export function formatTs(micros: number): string {
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

/** `1503435956.000247` (or `1503435956`) to microseconds; undefined when not a Slack timestamp. */
export function parseTs(text: string): number | undefined {
  const match = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(6, '0'));
}

/** A timestamp after every earlier one, at the world's clock when that is later. */
export function nextTs(world: World, state: SlackState): number {
  state.lastMicros = Math.max(world.now().getTime() * 1000, state.lastMicros + 1);
  return state.lastMicros;
}

export function messageKey(channel: string, ts: string): string {
  return `${channel}/${ts}`;
}
