import { ErrorCode, LogLevel, WebClient, type WebAPIPlatformError } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const TOKEN = 'xoxb-metadata-test-token';

const SCENARIO = `
name: slack-metadata-test
accounts:
  - id: "111111111111"
    name: management
slack:
  tokens: [${TOKEN}]
  channels: [incidents]
`;

const METADATA = { event_type: 'vigil_incident', event_payload: { incident_id: 'inc-7', notification_id: 'inc-7/0/slack' } };

let sandbox: TestSandbox;
let client: WebClient;
let channel: string;

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
  client = new WebClient(TOKEN, { slackApiUrl: sandbox.info.slackApiUrl, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } });
  const list = await client.conversations.list({ types: 'public_channel' });
  channel = list.channels?.find((c) => c.name === 'incidents')?.id as string;
});

afterAll(async () => {
  await sandbox.stop();
});

describe('Slack message metadata', () => {
  it('round-trips metadata: whole with include_all_metadata, only its event type without, kept by an update that omits it', async () => {
    const posted = await client.chat.postMessage({ channel, text: 'LMS down', metadata: METADATA });
    const reply = await client.chat.postMessage({ channel, thread_ts: posted.ts, text: 'acknowledged', metadata: { event_type: 'vigil_incident_update', event_payload: { n: 1 } } });
    await client.chat.update({ channel, ts: posted.ts as string, text: 'LMS down (investigating)' });

    const full = await client.conversations.history({ channel, include_all_metadata: true });
    const bare = await client.conversations.history({ channel });
    const thread = await client.conversations.replies({ channel, ts: posted.ts as string, include_all_metadata: true });

    expect(posted.message?.metadata).toEqual(METADATA);
    expect(full.messages?.find((m) => m.ts === posted.ts)?.metadata).toEqual(METADATA);
    expect(bare.messages?.find((m) => m.ts === posted.ts)?.metadata).toEqual({ event_type: 'vigil_incident' });
    expect(thread.messages?.map((m) => m.metadata?.event_type)).toEqual(['vigil_incident', 'vigil_incident_update']);
    expect(thread.messages?.[1]?.ts).toBe(reply.ts);
  });

  it.each([
    ['not JSON', '{nope', 'invalid_metadata_format'],
    ['no event_type', JSON.stringify({ event_payload: {} }), 'invalid_metadata_schema'],
    ['an event_type with spaces', JSON.stringify({ event_type: 'vigil incident', event_payload: {} }), 'invalid_metadata_schema'],
    ['a payload that is not an object', JSON.stringify({ event_type: 'vigil_incident', event_payload: 'x' }), 'invalid_metadata_schema'],
  ])('rejects metadata that is %s', async (_case, metadata, code) => {
    const error = await client.apiCall('chat.postMessage', { channel, text: 'x', metadata }).then(
      () => undefined,
      (e: WebAPIPlatformError) => e,
    );

    expect(error?.code).toBe(ErrorCode.PlatformError);
    expect(error?.data.error).toBe(code);
  });
});
