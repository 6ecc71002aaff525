import { ErrorCode, LogLevel, WebClient, WebClientEvent, type WebAPIPlatformError } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const TOKEN = 'xoxb-test-token';

const SCENARIO = `
name: slack-test
accounts:
  - id: "111111111111"
    name: management
slack:
  team: { name: Coursecraft, domain: coursecraft }
  tokens:
    - ${TOKEN}
    - { token: xoxb-readonly-token, scopes: [channels:read, channels:history] }
    - { token: xoxb-revoked-token, revoked: true }
  channels:
    - incidents
    - ops
    - history-full
    - history-over
    - { name: lobby, member: false }
    - { name: old-news, archived: true }
    - { name: war-room, private: true }
    - { name: board, private: true, member: false }
`;

let sandbox: TestSandbox;

/** `null` for a client without a token. */
function client(token: string | null = TOKEN): WebClient {
  return new WebClient(token ?? undefined, {
    slackApiUrl: sandbox.info.slackApiUrl,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 20 },
  });
}

async function platformError(promise: Promise<unknown>): Promise<WebAPIPlatformError['data']> {
  const error = await promise.then(
    () => {
      throw new Error('expected a Slack error');
    },
    (err: WebAPIPlatformError) => err,
  );
  expect(error.code).toBe(ErrorCode.PlatformError);
  return error.data;
}

async function channelId(name: string): Promise<string> {
  const page = await client().conversations.list({ types: 'public_channel,private_channel', limit: 1000 });
  return page.channels?.find((c) => c.name === name)?.id as string;
}

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
});

afterAll(async () => {
  await sandbox.stop();
});

describe('Slack auth', () => {
  it('identifies the bot and its workspace', async () => {
    const identity = await client().auth.test();

    expect(identity).toMatchObject({ ok: true, team: 'Coursecraft', user: 'vigil', url: 'https://coursecraft.slack.com/', user_id: expect.stringMatching(/^U/) });
    expect(identity.response_metadata?.scopes).toContain('chat:write');
  });

  it.each([
    ['no token', null, 'not_authed'],
    ['an unknown token', 'xoxb-not-a-real-token', 'invalid_auth'],
    ['a revoked token', 'xoxb-revoked-token', 'token_revoked'],
  ])('refuses %s', async (_case, token, code) => {
    const data = await platformError(client(token).auth.test());

    expect(data).toMatchObject({ ok: false, error: code });
  });

  it('answers missing_scope when the token lacks chat:write', async () => {
    const data = await platformError(client('xoxb-readonly-token').chat.postMessage({ channel: '#incidents', text: 'hi' }));

    expect(data).toMatchObject({ error: 'missing_scope', needed: 'chat:write', provided: 'channels:read,channels:history' });
  });
});

describe('Slack messages', () => {
  it('posts to a channel by name and reads the message back by id', async () => {
    const slack = client();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*SEV1* LMS database unreachable' } }];

    const posted = await slack.chat.postMessage({ channel: '#incidents', text: 'SEV1: LMS database unreachable', blocks });
    const history = await slack.conversations.history({ channel: posted.channel as string, limit: 1 });

    expect(posted).toMatchObject({ ok: true, channel: await channelId('incidents'), ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    expect(posted.message).toMatchObject({ text: 'SEV1: LMS database unreachable', blocks, type: 'message', bot_id: expect.stringMatching(/^B/) });
    expect(history.messages?.[0]).toMatchObject({ ts: posted.ts, text: 'SEV1: LMS database unreachable', blocks });
  });

  it('threads replies, keeps them out of history unless broadcast, and reads them with conversations.replies', async () => {
    const slack = client();
    const parent = await slack.chat.postMessage({ channel: 'ops', text: 'Restore drill started' });
    const reply = await slack.chat.postMessage({ channel: 'ops', text: 'Snapshot restored', thread_ts: parent.ts as string });
    const broadcast = await slack.chat.postMessage({ channel: 'ops', text: 'Drill passed', thread_ts: parent.ts as string, reply_broadcast: true });

    const history = await slack.conversations.history({ channel: parent.channel as string });
    const thread = await slack.conversations.replies({ channel: parent.channel as string, ts: parent.ts as string });

    expect(history.messages?.map((m) => m.text)).toEqual(['Drill passed', 'Restore drill started']);
    expect(history.messages?.[1]).toMatchObject({ reply_count: 2, latest_reply: broadcast.ts, thread_ts: parent.ts });
    expect(thread.messages?.map((m) => m.text)).toEqual(['Restore drill started', 'Snapshot restored', 'Drill passed']);
    expect(thread.messages?.[1]).toMatchObject({ ts: reply.ts, thread_ts: parent.ts });
  });

  it('updates a message and records the edit for inspection', async () => {
    const slack = client();
    const posted = await slack.chat.postMessage({ channel: 'incidents', text: 'Investigating' });

    const updated = await slack.chat.update({ channel: posted.channel as string, ts: posted.ts as string, text: 'Resolved' });
    const messages = await sandbox.inspect<Array<{ ts: string; text: string; edits: Array<{ text: string }>; channel_name: string }>>('slack/messages?channel=incidents');

    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: 'Resolved', message: { text: 'Resolved', edited: { ts: expect.any(String) } } });
    expect(messages.find((m) => m.ts === posted.ts)).toMatchObject({ text: 'Resolved', channel_name: 'incidents', edits: [{ text: 'Resolved' }] });
  });

  it.each([
    ['an unknown channel', { channel: '#nope', text: 'x' }, 'channel_not_found'],
    ['a private channel the bot is not in', { channel: 'board', text: 'x' }, 'channel_not_found'],
    ['a channel the bot is not in', { channel: 'lobby', text: 'x' }, 'not_in_channel'],
    ['an archived channel', { channel: 'old-news', text: 'x' }, 'is_archived'],
    ['no text or blocks', { channel: 'incidents', text: '' }, 'no_text'],
    ['blocks that are not JSON', { channel: 'incidents', text: 'x', blocks: 'not json' }, 'invalid_blocks_format'],
  ])('refuses a post to %s', async (_case, args, code) => {
    const data = await platformError(client().apiCall('chat.postMessage', args));

    expect(data.error).toBe(code);
  });

  it('answers message_not_found and thread_not_found for unknown timestamps', async () => {
    const slack = client();
    const id = await channelId('incidents');

    const update = await platformError(slack.chat.update({ channel: id, ts: '1000000000.000001', text: 'x' }));
    const thread = await platformError(slack.conversations.replies({ channel: id, ts: '1000000000.000001' }));

    expect([update.error, thread.error]).toEqual(['message_not_found', 'thread_not_found']);
  });

  it('adds a reaction once', async () => {
    const slack = client();
    const posted = await slack.chat.postMessage({ channel: 'incidents', text: 'Ack?' });

    await slack.reactions.add({ channel: posted.channel as string, timestamp: posted.ts as string, name: 'eyes' });
    const again = await platformError(slack.reactions.add({ channel: posted.channel as string, timestamp: posted.ts as string, name: 'eyes' }));
    const history = await slack.conversations.history({ channel: posted.channel as string, limit: 1 });

    expect(again.error).toBe('already_reacted');
    expect(history.messages?.[0]?.reactions).toEqual([{ name: 'eyes', users: [expect.stringMatching(/^U/)], count: 1 }]);
  });
});

describe('Slack pagination', () => {
  async function postMany(channel: string, count: number): Promise<string[]> {
    const texts: string[] = [];
    for (let i = 1; i <= count; i++) {
      await client().chat.postMessage({ channel, text: `message ${i}` });
      texts.push(`message ${i}`);
    }
    return texts;
  }

  async function pages(channel: string, limit: number): Promise<string[][]> {
    const out: string[][] = [];
    for await (const page of client().paginate('conversations.history', { channel: await channelId(channel), limit })) {
      out.push(((page as unknown as { messages?: Array<{ text: string }> }).messages ?? []).map((m) => m.text));
    }
    return out;
  }

  it('pages history newest first, ending exactly on a full page', async () => {
    await postMany('history-full', 4);

    const result = await pages('history-full', 2);

    expect(result).toEqual([
      ['message 4', 'message 3'],
      ['message 2', 'message 1'],
    ]);
  });

  it('pages history with one message over a page', async () => {
    await postMany('history-over', 3);

    const result = await pages('history-over', 2);

    expect(result).toEqual([['message 3', 'message 2'], ['message 1']]);
  });

  it('pages conversations.list with a cursor, showing private channels only to members', async () => {
    const names: string[] = [];
    for await (const page of client().paginate('conversations.list', { types: 'public_channel,private_channel', limit: 3 })) {
      names.push(...((page as unknown as { channels?: Array<{ name: string }> }).channels ?? []).map((c) => c.name));
    }

    expect(names).toEqual(['incidents', 'ops', 'history-full', 'history-over', 'lobby', 'old-news', 'war-room']);
  });

  it('refuses a cursor it did not issue', async () => {
    const data = await platformError(client().conversations.history({ channel: await channelId('ops'), cursor: 'bm9wZQ==' }));

    expect(data.error).toBe('invalid_cursor');
  });
});

describe('Slack faults', () => {
  it('answers throttled calls with 429 Retry-After, which the WebClient waits out and retries', async () => {
    await sandbox.setFaults([{ service: 'slack', operation: 'chat.postMessage', throttle: { ratePerSecond: 1, burst: 1 } }]);
    const slack = client();
    const retryAfter: number[] = [];
    slack.on(WebClientEvent.RATE_LIMITED, (seconds: number) => retryAfter.push(seconds));

    const first = await slack.chat.postMessage({ channel: 'ops', text: 'first' });
    const second = await slack.chat.postMessage({ channel: 'ops', text: 'second' });
    const summary = await sandbox.inspect<{ counts: Array<{ service: string; operation: string; throttled: number }> }>('calls/summary');
    await sandbox.setFaults([]);

    expect([first.ok, second.ok]).toEqual([true, true]);
    expect(retryAfter).toEqual([1]);
    expect(summary.counts.find((c) => c.service === 'slack' && c.operation === 'chat.postMessage')?.throttled).toBe(1);
  });

  it('retries an injected 500 and succeeds', async () => {
    await sandbox.setFaults([{ service: 'slack', operation: 'auth.test', errorRate: 1, times: 1 }]);

    const identity = await client().auth.test();
    const calls = await sandbox.inspect<Array<{ status: number; fault?: string }>>('calls?service=slack&operation=auth.test');
    await sandbox.setFaults([]);

    expect(identity.ok).toBe(true);
    expect(calls.slice(-2).map((c) => [c.status, c.fault])).toEqual([
      [500, 'error'],
      [200, undefined],
    ]);
  });
});
