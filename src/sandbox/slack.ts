/**
 * Slack's Web API under `/api/<method>`: auth.test, chat.postMessage/update (with message metadata),
 * conversations.list, history and replies (metadata in full with include_all_metadata), info, reactions.add. Like Slack, every answer is HTTP 200 with `ok: false` and
 * an error code on failure, except rate limiting (429 with Retry-After).
 */
import { z } from 'zod';
import { json, type Emulator, type HttpInput, type HttpOutput } from './http-types.js';
import type { Scenario } from './scenario.js';
import {
  formatTs,
  messageKey,
  nextTs,
  parseTs,
  slackId,
  slackState,
  type SlackChannel,
  type SlackMessage,
  type SlackMetadata,
  type SlackState,
  type SlackToken,
} from './slack-state.js';
import type { World } from './world.js';

const channelName = z
  .string()
  .regex(/^#?[a-z0-9][a-z0-9._-]{0,79}$/, 'expected a Slack channel name such as incidents (lowercase, no spaces)')
  .transform((name) => name.replace(/^#/, ''));

const channelScenario = z.strictObject({
  name: channelName,
  private: z.boolean().default(false),
  archived: z.boolean().default(false),
  /** Whether the bot is in the channel; posting where it is not answers not_in_channel. */
  member: z.boolean().default(true),
  topic: z.string().default(''),
  purpose: z.string().default(''),
});

const tokenScenario = z.strictObject({
  token: z.string().min(8),
  /** OAuth scopes the token carries; omit for every scope. A missing one answers missing_scope. */
  scopes: z.array(z.string()).optional(),
  revoked: z.boolean().default(false),
});

export const slackScenario = z.strictObject({
  team: z.strictObject({ name: z.string().default('Sandbox'), domain: z.string().regex(/^[a-z0-9-]+$/).default('sandbox') }).prefault({}),
  botName: z.string().default('vigil'),
  /** Bot tokens (`xoxb-...`), as strings or with scopes. */
  tokens: z.array(z.union([z.string().min(8), tokenScenario])).default([]),
  channels: z.array(z.union([channelName, channelScenario])).default([]),
});

export function seedSlack(world: World, scenario: Scenario): void {
  const config = scenario.slack;
  if (!config) return;
  const state = slackState(world);
  state.team = { id: slackId('T', config.team.domain), name: config.team.name, domain: config.team.domain };
  state.bot = { userId: slackId('U', config.botName), botId: slackId('B', config.botName), appId: slackId('A', config.botName), name: config.botName };
  for (const t of config.tokens) {
    const token: SlackToken = typeof t === 'string' ? { token: t, revoked: false } : t;
    state.tokens.set(token.token, token);
  }
  for (const c of config.channels) {
    const channel = typeof c === 'string' ? { name: c, private: false, archived: false, member: true, topic: '', purpose: '' } : c;
    const id = slackId(channel.private ? 'G' : 'C', channel.name);
    state.channels.set(id, {
      id,
      name: channel.name,
      isPrivate: channel.private,
      isArchived: channel.archived,
      isMember: channel.member,
      created: world.ago(365 * 24 * 3600 * 1000),
      topic: channel.topic,
      purpose: channel.purpose,
      history: [],
    });
    state.channelIndex.set(id, state.channelOrder.length);
    state.channelOrder.push(id);
    state.byName.set(channel.name, id);
  }
}

// ---- requests ----

type Params = Record<string, unknown>;

interface Call {
  world: World;
  state: SlackState;
  params: Params;
  token: SlackToken;
}

type Answer = Record<string, unknown>;

interface Method {
  /** The scope the method needs; private channels need the `groups:` variant, picked per call. */
  scope?: (call: Call) => string;
  run: (call: Call) => Answer;
}

class SlackError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

const ALL_SCOPES = ['chat:write', 'channels:read', 'channels:history', 'groups:read', 'groups:history', 'reactions:read', 'reactions:write'];

function parseParams(input: HttpInput): Params {
  const params: Params = Object.fromEntries(input.query);
  const type = String(input.headers['content-type'] ?? '');
  const text = input.body.toString('utf8');
  if (text === '') return params;
  if (type.includes('application/json')) {
    try {
      return { ...params, ...(JSON.parse(text) as Params) };
    } catch {
      throw new SlackError('invalid_json');
    }
  }
  return { ...params, ...Object.fromEntries(new URLSearchParams(text)) };
}

function tokenOf(input: HttpInput, params: Params): string | undefined {
  const auth = input.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  return typeof params['token'] === 'string' ? params['token'] : undefined;
}

function str(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? value : String(value);
}

function bool(params: Params, name: string): boolean {
  const value = params[name];
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** Slack's limits: a default, a maximum, and a zero or unparsable value meaning the default. */
function limitOf(params: Params, fallback: number, max: number): number {
  const value = Number(str(params, 'limit') ?? fallback);
  if (!Number.isInteger(value) || value < 1) return fallback;
  return Math.min(value, max);
}

function decodeCursor(params: Params, prefix: string): string | undefined {
  const cursor = str(params, 'cursor');
  if (cursor === undefined) return undefined;
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  if (!decoded.startsWith(prefix)) throw new SlackError('invalid_cursor');
  return decoded.slice(prefix.length);
}

function encodeCursor(prefix: string, value: string): string {
  return Buffer.from(`${prefix}${value}`).toString('base64');
}

/** A JSON array given as a URL-encoded string (the WebClient's way) or as JSON. */
function jsonArray(params: Params, name: string, invalid: string): unknown[] | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new SlackError(invalid);
    }
  }
  if (!Array.isArray(parsed)) throw new SlackError(invalid);
  return parsed;
}

const MAX_METADATA_BYTES = 8 * 1024;

/**
 * `metadata` as the WebClient sends it (a JSON string in the form) or as JSON: an `event_type` of
 * letters, digits and underscores, and an `event_payload` object (Slack: invalid_metadata_format /
 * invalid_metadata_schema / metadata_too_large).
 */
function metadataOf(params: Params): SlackMetadata | undefined {
  const value = params['metadata'];
  if (value === undefined || value === null || value === '') return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    if (Buffer.byteLength(value) > MAX_METADATA_BYTES) throw new SlackError('metadata_too_large');
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new SlackError('invalid_metadata_format');
    }
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SlackError('invalid_metadata_format');
  const { event_type: type, event_payload: payload } = parsed as Record<string, unknown>;
  if (typeof type !== 'string' || !/^[A-Za-z0-9_]{1,255}$/.test(type)) throw new SlackError('invalid_metadata_schema');
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new SlackError('invalid_metadata_schema');
  return { event_type: type, event_payload: payload as Record<string, unknown> };
}

function blocksOf(params: Params): unknown[] | undefined {
  const blocks = jsonArray(params, 'blocks', 'invalid_blocks_format');
  if (blocks && (blocks.length > 50 || blocks.some((b) => !b || typeof b !== 'object' || typeof (b as { type?: unknown }).type !== 'string'))) {
    throw new SlackError('invalid_blocks');
  }
  return blocks;
}

/** By id (`C0123ABCDE`), or for methods that accept it by name (`#incidents`, `incidents`). */
function findChannel(state: SlackState, params: Params, byName: boolean): SlackChannel {
  const ref = str(params, 'channel');
  if (!ref) throw new SlackError('channel_not_found');
  const id = state.channels.has(ref) ? ref : byName ? state.byName.get(ref.replace(/^#/, '')) : undefined;
  const channel = id === undefined ? undefined : state.channels.get(id);
  // A private channel the bot is not in does not exist as far as the bot can tell.
  if (!channel || (channel.isPrivate && !channel.isMember)) throw new SlackError('channel_not_found');
  return channel;
}

function readable(state: SlackState, params: Params): SlackChannel {
  const channel = findChannel(state, params, false);
  if (!channel.isMember) throw new SlackError('not_in_channel');
  return channel;
}

function historyScope(call: Call): string {
  const id = str(call.params, 'channel');
  return id && call.state.channels.get(id)?.isPrivate ? 'groups:history' : 'channels:history';
}

/**
 * A message on the wire. Its metadata comes back whole only when the reader asks with
 * `include_all_metadata` (or in the poster's own chat.* answer); otherwise just the event type.
 */
function renderMessage(state: SlackState, m: SlackMessage, allMetadata = true): Answer {
  const out: Answer = {
    user: state.bot.userId,
    type: 'message',
    ts: m.ts,
    bot_id: state.bot.botId,
    app_id: state.bot.appId,
    text: m.text,
    team: state.team.id,
    bot_profile: { id: state.bot.botId, app_id: state.bot.appId, name: state.bot.name, icons: {}, deleted: false, team_id: state.team.id },
  };
  if (m.blocks) out['blocks'] = m.blocks;
  if (m.attachments) out['attachments'] = m.attachments;
  if (m.metadata) out['metadata'] = allMetadata ? m.metadata : { event_type: m.metadata.event_type };
  if (m.threadTs) out['thread_ts'] = m.threadTs;
  if (m.threadTs && m.threadTs !== m.ts) out['parent_user_id'] = state.bot.userId;
  if (m.replyBroadcast) out['subtype'] = 'thread_broadcast';
  if (m.replies.length > 0) {
    out['reply_count'] = m.replies.length;
    out['reply_users_count'] = 1;
    out['latest_reply'] = m.replies[m.replies.length - 1]?.ts;
    out['reply_users'] = [state.bot.userId];
    out['is_locked'] = false;
    out['subscribed'] = false;
  }
  const lastEdit = m.edits[m.edits.length - 1];
  if (lastEdit) out['edited'] = { user: state.bot.userId, ts: lastEdit.ts };
  if (m.reactions.size > 0) out['reactions'] = [...m.reactions].map(([name, users]) => ({ name, users, count: users.length }));
  return out;
}

function renderChannel(state: SlackState, c: SlackChannel): Answer {
  const created = Math.floor(c.created.getTime() / 1000);
  return {
    id: c.id,
    name: c.name,
    is_channel: true,
    is_group: false,
    is_im: false,
    is_mpim: false,
    is_private: c.isPrivate,
    created,
    is_archived: c.isArchived,
    is_general: c.name === 'general',
    unlinked: 0,
    name_normalized: c.name,
    is_shared: false,
    is_org_shared: false,
    is_ext_shared: false,
    is_pending_ext_shared: false,
    pending_shared: [],
    context_team_id: state.team.id,
    parent_conversation: null,
    creator: state.bot.userId,
    shared_team_ids: [state.team.id],
    is_member: c.isMember,
    topic: { value: c.topic, creator: c.topic ? state.bot.userId : '', last_set: c.topic ? created : 0 },
    purpose: { value: c.purpose, creator: c.purpose ? state.bot.userId : '', last_set: c.purpose ? created : 0 },
    previous_names: [],
    num_members: c.isMember ? 1 : 0,
  };
}

const MAX_TEXT = 40_000;

function postMessage({ world, state, params }: Call): Answer {
  const channel = findChannel(state, params, true);
  const text = str(params, 'text') ?? '';
  const blocks = blocksOf(params);
  const attachments = jsonArray(params, 'attachments', 'invalid_attachments');
  const metadata = metadataOf(params);
  if (text === '' && !blocks && !attachments) throw new SlackError('no_text');
  if (text.length > MAX_TEXT) throw new SlackError('msg_too_long');
  if (channel.isArchived) throw new SlackError('is_archived');
  if (!channel.isMember) throw new SlackError('not_in_channel');
  const micros = nextTs(world, state);
  const message: SlackMessage = { channel: channel.id, ts: formatTs(micros), micros, text, blocks, attachments, metadata, replyBroadcast: false, replies: [], edits: [], reactions: new Map() };
  const threadRef = str(params, 'thread_ts');
  const replied = threadRef === undefined ? undefined : state.messages.get(messageKey(channel.id, threadRef));
  // A reply's ts stands for its thread, as Slack resolves it; an unknown thread_ts posts to the channel.
  const parent = replied?.threadTs && replied.threadTs !== replied.ts ? state.messages.get(messageKey(channel.id, replied.threadTs)) : replied;
  if (parent) {
    parent.threadTs = parent.ts;
    message.threadTs = parent.ts;
    message.replyBroadcast = bool(params, 'reply_broadcast');
    parent.replies.push(message);
    if (message.replyBroadcast) channel.history.push(message);
  } else {
    channel.history.push(message);
  }
  state.messages.set(messageKey(channel.id, message.ts), message);
  state.log.push(message);
  return { channel: channel.id, ts: message.ts, message: renderMessage(state, message) };
}

function update({ world, state, params }: Call): Answer {
  const channel = findChannel(state, params, false);
  const ts = str(params, 'ts');
  const message = ts === undefined ? undefined : state.messages.get(messageKey(channel.id, ts));
  if (!message) throw new SlackError('message_not_found');
  if (channel.isArchived) throw new SlackError('is_inactive');
  const text = str(params, 'text');
  const blocks = blocksOf(params);
  const metadata = metadataOf(params);
  if (text === undefined && !blocks) throw new SlackError('no_text');
  if ((text ?? '').length > MAX_TEXT) throw new SlackError('msg_too_long');
  message.text = text ?? message.text;
  message.blocks = blocks ?? message.blocks;
  // Metadata left out of an update stays as it was.
  message.metadata = metadata ?? message.metadata;
  message.edits.push({ ts: formatTs(nextTs(world, state)), text: message.text, blocks: message.blocks });
  return { channel: channel.id, ts: message.ts, text: message.text, message: renderMessage(state, message) };
}

function list({ state, params }: Call): Answer {
  const types = (str(params, 'types') ?? 'public_channel').split(',').map((t) => t.trim());
  const excludeArchived = bool(params, 'exclude_archived');
  const limit = limitOf(params, 100, 1000);
  const after = decodeCursor(params, 'team:');
  let start = 0;
  if (after !== undefined) {
    const index = state.channelIndex.get(after);
    if (index === undefined) throw new SlackError('invalid_cursor');
    start = index;
  }
  const channels: Answer[] = [];
  let next = '';
  for (let i = start; i < state.channelOrder.length; i++) {
    const c = state.channels.get(state.channelOrder[i] as string) as SlackChannel;
    const visible = (c.isPrivate ? types.includes('private_channel') && c.isMember : types.includes('public_channel')) && !(excludeArchived && c.isArchived);
    if (!visible) continue;
    if (channels.length === limit) {
      next = encodeCursor('team:', c.id);
      break;
    }
    channels.push(renderChannel(state, c));
  }
  return { channels, response_metadata: { next_cursor: next } };
}

function info({ state, params }: Call): Answer {
  return { channel: renderChannel(state, findChannel(state, params, false)) };
}

function boundary(params: Params, name: 'latest' | 'oldest', error: string): number | undefined {
  const value = str(params, name);
  if (value === undefined) return undefined;
  const micros = parseTs(value);
  if (micros === undefined) throw new SlackError(error);
  return micros;
}

/** Index of the last message at or below `micros` (history is sorted by micros). */
function lastAtOrBelow(history: SlackMessage[], micros: number): number {
  let lo = 0;
  let hi = history.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((history[mid] as SlackMessage).micros <= micros) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

function history({ state, params }: Call): Answer {
  const channel = readable(state, params);
  const inclusive = bool(params, 'inclusive');
  const latest = boundary(params, 'latest', 'invalid_ts_latest');
  const oldest = boundary(params, 'oldest', 'invalid_ts_oldest') ?? 0;
  const limit = limitOf(params, 100, 999);
  const cursor = decodeCursor(params, 'next_ts:');
  const cursorMicros = cursor === undefined ? undefined : parseTs(cursor);
  if (cursor !== undefined && cursorMicros === undefined) throw new SlackError('invalid_cursor');
  let top = Number.MAX_SAFE_INTEGER;
  if (latest !== undefined) top = inclusive ? latest : latest - 1;
  if (cursorMicros !== undefined) top = Math.min(top, cursorMicros);
  const floor = inclusive ? oldest : oldest + 1;
  const messages: Answer[] = [];
  let i = lastAtOrBelow(channel.history, top);
  for (; i >= 0 && messages.length < limit; i--) {
    const m = channel.history[i] as SlackMessage;
    if (m.micros < floor) break;
    messages.push(renderMessage(state, m, bool(params, 'include_all_metadata')));
  }
  const following = i >= 0 ? channel.history[i] : undefined;
  const hasMore = following !== undefined && following.micros >= floor;
  return {
    messages,
    has_more: hasMore,
    pin_count: 0,
    channel_actions_ts: null,
    channel_actions_count: 0,
    ...(latest !== undefined ? { latest: formatTs(latest) } : {}),
    ...(hasMore ? { response_metadata: { next_cursor: encodeCursor('next_ts:', following.ts) } } : {}),
  };
}

function replies({ state, params }: Call): Answer {
  const channel = readable(state, params);
  const ts = str(params, 'ts');
  const found = ts === undefined ? undefined : state.messages.get(messageKey(channel.id, ts));
  if (!found) throw new SlackError('thread_not_found');
  const parent = found.threadTs && found.threadTs !== found.ts ? (state.messages.get(messageKey(channel.id, found.threadTs)) as SlackMessage) : found;
  const limit = limitOf(params, 1000, 1000);
  const cursor = decodeCursor(params, 'next_ts:');
  const cursorMicros = cursor === undefined ? 0 : parseTs(cursor);
  if (cursorMicros === undefined) throw new SlackError('invalid_cursor');
  const start = parent.replies.findIndex((r) => r.micros >= cursorMicros);
  const page = start === -1 ? [] : parent.replies.slice(start, start + limit);
  const following = start === -1 ? undefined : parent.replies[start + limit];
  // Every page starts with the thread's parent, as Slack's does.
  return {
    messages: [parent, ...page].map((m) => renderMessage(state, m, bool(params, 'include_all_metadata'))),
    has_more: following !== undefined,
    ...(following ? { response_metadata: { next_cursor: encodeCursor('next_ts:', following.ts) } } : {}),
  };
}

function react({ state, params }: Call): Answer {
  const channel = readable(state, params);
  const ts = str(params, 'timestamp');
  const message = ts === undefined ? undefined : state.messages.get(messageKey(channel.id, ts));
  if (!message) throw new SlackError('message_not_found');
  const name = str(params, 'name')?.replace(/^:|:$/g, '');
  if (!name || !/^[a-z0-9_+'-]+$/.test(name)) throw new SlackError('invalid_name');
  const users = message.reactions.get(name) ?? [];
  if (users.includes(state.bot.userId)) throw new SlackError('already_reacted');
  message.reactions.set(name, [...users, state.bot.userId]);
  return {};
}

const METHODS: Record<string, Method> = {
  'auth.test': {
    run: ({ state }) => ({
      url: `https://${state.team.domain}.slack.com/`,
      team: state.team.name,
      user: state.bot.name,
      team_id: state.team.id,
      user_id: state.bot.userId,
      bot_id: state.bot.botId,
      is_enterprise_install: false,
    }),
  },
  'chat.postMessage': { scope: () => 'chat:write', run: postMessage },
  'chat.update': { scope: () => 'chat:write', run: update },
  'conversations.list': { scope: ({ params }) => (str(params, 'types') ?? '').includes('private') ? 'groups:read' : 'channels:read', run: list },
  'conversations.info': { scope: () => 'channels:read', run: info },
  'conversations.history': { scope: historyScope, run: history },
  'conversations.replies': { scope: historyScope, run: replies },
  'reactions.add': { scope: () => 'reactions:write', run: react },
};

function answer(body: Answer, token?: SlackToken): HttpOutput {
  const headers: Record<string, string> = token ? { 'x-oauth-scopes': (token.scopes ?? ALL_SCOPES).join(',') } : {};
  const output = json(200, body, headers);
  return body['ok'] === false ? { ...output, errorCode: String(body['error']) } : output;
}

function serve(world: World, input: HttpInput, methodName: string): HttpOutput {
  const state = slackState(world);
  let token: SlackToken | undefined;
  try {
    const params = parseParams(input);
    const method = METHODS[methodName];
    if (!method) return answer({ ok: false, error: 'unknown_method', req_method: methodName });
    const presented = tokenOf(input, params);
    if (presented === undefined) throw new SlackError('not_authed');
    token = state.tokens.get(presented);
    if (!token) throw new SlackError('invalid_auth');
    if (token.revoked) throw new SlackError('token_revoked');
    const call: Call = { world, state, params, token };
    const needed = method.scope?.(call);
    const scopes = token.scopes ?? ALL_SCOPES;
    if (needed && !scopes.includes(needed)) throw new SlackError('missing_scope', { needed, provided: scopes.join(',') });
    return answer({ ok: true, ...method.run(call) }, token);
  } catch (err) {
    if (err instanceof SlackError) return answer({ ok: false, error: err.code, ...err.extra }, token);
    throw err;
  }
}

export const slack: Emulator = {
  name: 'slack',
  route(input, world) {
    if (!input.path.startsWith('/api/')) return undefined;
    const method = input.path.slice('/api/'.length).replace(/\/$/, '');
    return {
      service: 'slack',
      operation: method,
      handle: async () => serve(world, input, method),
      // The WebClient waits Retry-After seconds and retries; one second keeps tests quick.
      throttled: () => ({ ...json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' }), errorCode: 'ratelimited' }),
      failed: (status) => ({ ...json(status, { ok: false, error: status === 503 ? 'service_unavailable' : 'internal_error' }), errorCode: 'internal_error' }),
    };
  },
  inspect: {
    /** Every message posted, replies included, in posting order (`?channel=` id or name). */
    'slack/messages': (world, query) => {
      const state = slackState(world);
      const ref = query.get('channel')?.replace(/^#/, '');
      const channelId = ref === undefined ? undefined : (state.byName.get(ref) ?? ref);
      return state.log
        .filter((m) => channelId === undefined || m.channel === channelId)
        .map((m) => ({
          channel: m.channel,
          channel_name: state.channels.get(m.channel)?.name,
          ts: m.ts,
          thread_ts: m.threadTs ?? null,
          text: m.text,
          blocks: m.blocks ?? null,
          metadata: m.metadata ?? null,
          reply_broadcast: m.replyBroadcast,
          edits: m.edits,
          reactions: Object.fromEntries(m.reactions),
        }));
    },
  },
};
