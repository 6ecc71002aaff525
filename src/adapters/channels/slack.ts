/**
 * Slack through @slack/web-api: one message per incident (and per maintenance), edited in place as it
 * changes, with every change also told in its thread. Each message Vigil posts carries metadata naming
 * the incident and the notification, so a delivery retried after a crash finds what it already posted
 * (conversations.history / conversations.replies with include_all_metadata) instead of posting twice.
 */
import { ErrorCode, LogLevel, WebClient, type ChatPostMessageArguments, type Logger as SlackLogger, type WebAPICallError } from '@slack/web-api';
import type { VigilConfig } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import type {
  Announcement,
  Channel,
  ChannelRefs,
  IncidentNotification,
  MaintenanceEvent,
  MaintenanceNotification,
} from '../../incidents/delivery.js';
import { DeliveryError } from '../../incidents/delivery.js';
import { asDeliveryError, httpFailure, networkFailure } from './failures.js';
import { changeLine, EVENT_LABELS, headline, maintenanceWindow, severityLabel, STATE_LABELS, truncate, utc } from './render.js';

export type SlackConfig = NonNullable<VigilConfig['integrations']['slack']>;

export interface SlackDeps {
  log?: Logger;
}

const SERVICE = 'Slack';
/** Metadata event types; Slack allows letters, digits and underscores. */
export const SLACK_EVENT_TYPES = {
  incident: 'vigil_incident',
  incidentUpdate: 'vigil_incident_update',
  maintenance: 'vigil_maintenance',
  maintenanceUpdate: 'vigil_maintenance_update',
} as const;
/** Our clock and Slack's may disagree a little; a search for our own message starts this much earlier. */
const CLOCK_SKEW_MS = 10 * 60_000;
const PAGE_SIZE = 200;
/** Platform errors that say "try again later" rather than "this request is wrong". */
const TRANSIENT = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Block Kit blocks, as the client types them (its block types are not re-exported by name). */
type Block = NonNullable<Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks']>[number];
interface Message {
  text: string;
  blocks: Block[];
}
interface Posted {
  channel: string;
  ts: string;
}
interface Metadata {
  event_type: string;
  event_payload: Record<string, string>;
}
interface SlackMessageLike {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

export function wantsSlack(a: Announcement): boolean {
  return a.subject !== 'component';
}

/** Slack's mrkdwn treats these three as control characters in any text. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text: truncate(text, 3000) });
const header = (text: string): Block => ({ type: 'header', text: { type: 'plain_text', text: truncate(text, 150), emoji: true } });

function linksBlock(links: Array<{ href: string; text: string }>): Block[] {
  if (links.length === 0) return [];
  const lines = links.map((l) => `• <${l.href}|${escapeSlack(l.text)}>`);
  return [{ type: 'section', text: mrkdwn(`*Runbooks and evidence*\n${lines.join('\n')}`) }];
}

/** The incident's message as it stands after this change. */
export function incidentMessage(n: IncidentNotification): Message {
  const i = n.incident;
  const icon = i.state === 'resolved' ? ':white_check_mark:' : i.severity === 'sev1' || i.severity === 'sev2' ? ':rotating_light:' : ':warning:';
  const components = i.components.length > 0 ? i.components.map(escapeSlack).join(', ') : 'none named';
  return {
    // The fallback text is mrkdwn like any other (a `<!channel>` in a title would notify); the header is plain text.
    text: escapeSlack(`${headline(i)}: ${STATE_LABELS[i.state]} (incident ${i.id})`),
    blocks: [
      header(`${icon} ${headline(i)}`),
      {
        type: 'section',
        fields: [
          mrkdwn(`*Severity*\n${severityLabel(i.severity)}`),
          mrkdwn(`*State*\n${STATE_LABELS[i.state]}`),
          mrkdwn(`*Commander*\n${escapeSlack(i.commander ?? 'unassigned')}`),
          mrkdwn(`*Components*\n${components}`),
        ],
      },
      ...linksBlock(i.links),
      { type: 'context', elements: [mrkdwn(`Incident ${escapeSlack(i.id)} · reported ${utc(i.reportedAt)} · last change: ${escapeSlack(changeLine(n))}`)] },
    ],
  };
}

/** A change told in the incident's thread; an escalation calls the configured people in. */
export function incidentReply(n: IncidentNotification, mention: string | undefined): string {
  const line = escapeSlack(changeLine(n));
  return n.escalate && mention ? `${mention} ${line}` : line;
}

const MAINTENANCE_STATUS: Record<MaintenanceEvent, string> = {
  'maintenance-scheduled': 'Scheduled',
  'maintenance-started': 'In progress',
  'maintenance-completed': 'Completed',
  'maintenance-cancelled': 'Cancelled',
};

export function maintenanceMessage(n: MaintenanceNotification): Message {
  const m = n.maintenance;
  const status = MAINTENANCE_STATUS[n.event];
  const kind = m.emergency ? 'Emergency maintenance' : 'Maintenance';
  return {
    text: escapeSlack(`${kind}: ${m.title} (${status}, ${maintenanceWindow(m)})`),
    blocks: [
      header(`:hammer_and_wrench: ${kind}: ${m.title}`),
      {
        type: 'section',
        fields: [
          mrkdwn(`*Status*\n${status}`),
          mrkdwn(`*Window*\n${maintenanceWindow(m)}`),
          mrkdwn(`*Components*\n${m.components.map(escapeSlack).join(', ') || 'none named'}`),
        ],
      },
      { type: 'section', text: mrkdwn(`*Why*\n${escapeSlack(m.reason)}`) },
      { type: 'context', elements: [mrkdwn(`Maintenance ${escapeSlack(m.id)} · last change: ${EVENT_LABELS[n.event]} by ${escapeSlack(n.actor)}`)] },
    ],
  };
}

export function maintenanceReply(n: MaintenanceNotification): string {
  return escapeSlack(`${EVENT_LABELS[n.event]} by ${n.actor}${n.reason ? `: ${n.reason}` : ''}`);
}

/** A WebClient failure as a DeliveryError, in Slack's own error code (never the token). */
export function slackFailure(err: unknown, timeoutMs: number): DeliveryError {
  const e = err as Partial<WebAPICallError> & { code?: string };
  switch (e.code) {
    case ErrorCode.RateLimitedError: {
      const seconds = (err as { retryAfter: number }).retryAfter;
      return new DeliveryError('Slack is rate limiting Vigil (HTTP 429)', true, 429, seconds * 1000);
    }
    case ErrorCode.PlatformError: {
      const data = (err as { data: { error: string; needed?: string } }).data;
      const detail = data.error === 'missing_scope' && data.needed ? ` (the token needs the ${data.needed} scope)` : '';
      return new DeliveryError(`Slack answered ${data.error}${detail}`, TRANSIENT.has(data.error));
    }
    case ErrorCode.HTTPError: {
      const h = err as { statusCode: number; statusMessage: string; headers: Record<string, string> };
      return httpFailure(SERVICE, h.statusCode, h.statusMessage, h.headers['retry-after']);
    }
    case ErrorCode.RequestError:
      return networkFailure(SERVICE, (err as { original: unknown }).original, timeoutMs);
    default:
      return asDeliveryError(SERVICE, err, timeoutMs);
  }
}

/** WebClient logs through Vigil's logger (and so through the redactor), quietly. */
function slackLogger(log: Logger): SlackLogger {
  return {
    debug: (...msg: unknown[]) => log.debug({ slack: msg.map(String).join(' ') }, 'slack client'),
    info: (...msg: unknown[]) => log.debug({ slack: msg.map(String).join(' ') }, 'slack client'),
    warn: (...msg: unknown[]) => log.warn({ slack: msg.map(String).join(' ') }, 'slack client'),
    error: (...msg: unknown[]) => log.error({ slack: msg.map(String).join(' ') }, 'slack client'),
    setLevel: () => undefined,
    getLevel: () => LogLevel.DEBUG,
    setName: () => undefined,
  };
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{6,}$/;

function slackTs(ms: number): string {
  return Number.isFinite(ms) ? (Math.max(0, ms) / 1000).toFixed(6) : '0';
}

function carries(m: SlackMessageLike, eventType: string, key: string, value: string): boolean {
  return m.metadata?.event_type === eventType && m.metadata.event_payload?.[key] === value;
}

export function createSlackChannel(config: SlackConfig, deps: SlackDeps = {}): Channel {
  const client = new WebClient(config.token, {
    slackApiUrl: config.apiUrl,
    // The durable outbox owns retries and backoff: the client answers at once, 429s included.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: config.timeoutMs,
    ...(deps.log ? { logger: slackLogger(deps.log) } : { logLevel: LogLevel.ERROR }),
  });
  let channelId: string | undefined;

  async function call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw err instanceof DeliveryError ? err : slackFailure(err, config.timeoutMs);
    }
  }

  /** conversations.history needs the id; the config may name the channel. */
  async function resolveChannel(): Promise<string> {
    if (channelId) return channelId;
    const wanted = config.channel.replace(/^#/, '');
    if (CHANNEL_ID.test(wanted)) return (channelId = wanted);
    let cursor: string | undefined;
    do {
      const page = await call(() => client.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 1000, cursor }));
      const found = page.channels?.find((c) => c.name === wanted);
      if (found?.id) return (channelId = found.id);
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    throw new DeliveryError(`Slack channel #${wanted} was not found, or it is private and the bot is not in it`, false);
  }

  /** Our own top-level message about a subject, posted since `oldestMs`. */
  async function findRoot(channel: string, eventType: string, key: string, id: string, oldestMs: number): Promise<Posted | undefined> {
    let cursor: string | undefined;
    do {
      const page = await call(() =>
        client.conversations.history({ channel, oldest: slackTs(oldestMs - CLOCK_SKEW_MS), include_all_metadata: true, limit: PAGE_SIZE, cursor }),
      );
      const found = (page.messages as SlackMessageLike[] | undefined)?.find((m) => carries(m, eventType, key, id));
      if (found?.ts) return { channel, ts: found.ts };
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return undefined;
  }

  async function hasReply(root: Posted, eventType: string, notificationId: string): Promise<boolean> {
    let cursor: string | undefined;
    do {
      const page = await call(() => client.conversations.replies({ channel: root.channel, ts: root.ts, include_all_metadata: true, limit: PAGE_SIZE, cursor }));
      if ((page.messages as SlackMessageLike[] | undefined)?.some((m) => m.ts !== root.ts && carries(m, eventType, 'notification_id', notificationId))) return true;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return false;
  }

  async function post(channel: string, message: Message, metadata: Metadata): Promise<Posted> {
    const res = await call(() => client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, metadata, unfurl_links: false }));
    return { channel: res.channel ?? channel, ts: res.ts as string };
  }

  async function update(root: Posted, message: Message): Promise<void> {
    await call(() => client.chat.update({ channel: root.channel, ts: root.ts, text: message.text, blocks: message.blocks }));
  }

  async function reply(root: Posted, text: string, metadata: Metadata, broadcast: boolean): Promise<void> {
    await call(() =>
      client.chat.postMessage({ channel: root.channel, thread_ts: root.ts, text, metadata, reply_broadcast: broadcast, unfurl_links: false }),
    );
  }

  /**
   * The shared shape of both subjects: find or post the subject's message, bring it up to date, and tell
   * the change in its thread unless that reply is already there.
   */
  async function deliverSubject(spec: {
    refs: ChannelRefs;
    notificationId: string;
    subject: { key: string; id: string; rootType: string; replyType: string; oldestMs: number };
    message: Message;
    /** The text for the thread, or undefined when the message itself says it all (the opening post). */
    replyText: string | undefined;
    broadcast: boolean;
  }): Promise<ChannelRefs> {
    const { refs, notificationId, subject, message } = spec;
    let root: Posted | undefined = refs['channel'] && refs['ts'] ? { channel: refs['channel'], ts: refs['ts'] } : undefined;
    let fresh = false;
    if (!root) {
      const channel = await resolveChannel();
      root = await findRoot(channel, subject.rootType, subject.key, subject.id, subject.oldestMs);
      if (!root) {
        root = await post(channel, message, { event_type: subject.rootType, event_payload: { [subject.key]: subject.id, notification_id: notificationId } });
        fresh = true;
      }
    }
    if (!fresh) await update(root, message);
    if (spec.replyText !== undefined) {
      const posted = !fresh && (await hasReply(root, subject.replyType, notificationId));
      if (!posted) {
        const metadata = { event_type: subject.replyType, event_payload: { [subject.key]: subject.id, notification_id: notificationId } };
        await reply(root, spec.replyText, metadata, spec.broadcast);
      }
    }
    return { ...refs, channel: root.channel, ts: root.ts };
  }

  return {
    name: 'slack',
    wants: wantsSlack,
    async deliver(n, refs) {
      if (n.subject === 'incident') {
        return deliverSubject({
          refs,
          notificationId: n.id,
          // With no refs, no earlier delivery recorded a message; one posted and not recorded is no older than the report.
          subject: { key: 'incident_id', id: n.incident.id, rootType: SLACK_EVENT_TYPES.incident, replyType: SLACK_EVENT_TYPES.incidentUpdate, oldestMs: Date.parse(n.incident.reportedAt) },
          message: incidentMessage(n),
          replyText: n.event === 'opened' ? undefined : incidentReply(n, config.mention),
          // A mention deep in a thread reaches only its followers; an escalation goes to the channel too.
          broadcast: n.escalate === true,
        });
      }
      if (n.subject === 'maintenance') {
        return deliverSubject({
          refs,
          notificationId: n.id,
          subject: {
            key: 'maintenance_id',
            id: n.maintenance.id,
            rootType: SLACK_EVENT_TYPES.maintenance,
            replyType: SLACK_EVENT_TYPES.maintenanceUpdate,
            oldestMs: Date.parse(n.at),
          },
          message: maintenanceMessage(n),
          replyText: n.event === 'maintenance-scheduled' ? undefined : maintenanceReply(n),
          broadcast: false,
        });
      }
      return refs;
    },
  };
}
