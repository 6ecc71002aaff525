import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/core/errors.js';
import { createChannels } from '../../../src/adapters/channels/index.js';
import { integrations } from './fixtures.js';

const BASE = `version: 1
accounts:
  - id: "222222222222"
    name: production
    regions: [us-east-1]
`;

function problemsOf(text: string): Array<{ line?: number; path: string; message: string }> {
  try {
    parseConfig(text, 'vigil.config.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(({ line, path, message }) => ({ line, path, message }));
    throw err;
  }
  return [];
}

describe('createChannels', () => {
  it('builds nothing when no integration is configured', () => {
    const channels = createChannels(integrations({}));

    expect(channels).toEqual([]);
  });

  it('builds one channel per configured service', () => {
    const config = integrations({
      slack: { token: 'xoxb-some-token', channel: '#incidents' },
      pagerduty: { routingKey: 'c0ffee00c0ffee00c0ffee00c0ffee00' },
      statuspage: { apiKey: 'some-statuspage-key', pageId: 'cc-status' },
    });

    const channels = createChannels(config);

    expect(channels.map((c) => c.name)).toEqual(['pagerduty', 'slack', 'statuspage']);
  });

  it('builds only the ones configured', () => {
    const channels = createChannels(integrations({ statuspage: { apiKey: 'some-statuspage-key', pageId: 'cc-status' } }));

    expect(channels.map((c) => c.name)).toEqual(['statuspage']);
  });
});

describe('integrations config for the channels', () => {
  it('defaults to the seed: Sev1-3 paged as critical/error/warning, Sev1-2 on the status page', () => {
    const loaded = parseConfig(
      `${BASE}integrations:
  slack: { token: vault:secret/data/vigil#slack_token, channel: "#incidents" }
  pagerduty: { routingKey: vault:secret/data/vigil#pagerduty_routing_key }
  statuspage: { apiKey: vault:secret/data/vigil#statuspage_api_key, pageId: cc-status }
`,
      'vigil.config.yaml',
    );

    expect(loaded.config.integrations).toEqual({
      slack: { token: 'vault:secret/data/vigil#slack_token', channel: '#incidents', timeoutMs: 10_000 },
      pagerduty: {
        routingKey: 'vault:secret/data/vigil#pagerduty_routing_key',
        severities: { sev1: 'critical', sev2: 'error', sev3: 'warning', sev4: 'none' },
        timeoutMs: 10_000,
      },
      statuspage: {
        apiKey: 'vault:secret/data/vigil#statuspage_api_key',
        pageId: 'cc-status',
        apiUrl: 'https://api.statuspage.io/v1',
        severities: ['sev1', 'sev2'],
        impacts: { sev1: 'critical', sev2: 'major', sev3: 'minor', sev4: 'none' },
        componentStatuses: { sev1: 'major_outage', sev2: 'partial_outage', sev3: 'degraded_performance', sev4: 'degraded_performance' },
        timeoutMs: 10_000,
      },
    });
  });

  it('reports every bad channel setting at once, with its line', () => {
    const problems = problemsOf(`${BASE}integrations:
  slack:
    token: x
    channel: "#incidents"
    mention: "@here"
  pagerduty:
    routingKey: x
    severities: { sev2: urgent, sev5: none }
  statuspage:
    apiKey: x
    pageId: cc-status
    severities: [sev0]
    componentStatuses: { sev1: under_maintenance }
`);

    expect(problems).toEqual([
      { line: 10, path: 'integrations.slack.mention', message: 'expected Slack mention syntax such as <!here>, <!subteam^S0123ABCD> or <@U0123ABCD>' },
      { line: 13, path: 'integrations.pagerduty.severities.sev2', message: 'expected one of "critical"|"error"|"warning"|"info"|"none"' },
      { line: 13, path: 'integrations.pagerduty.severities.sev5', message: 'unknown field; did you mean "sev1"?' },
      { line: 17, path: 'integrations.statuspage.severities[0]', message: 'expected one of "sev1"|"sev2"|"sev3"|"sev4"' },
      {
        line: 18,
        path: 'integrations.statuspage.componentStatuses.sev1',
        message: 'expected one of "operational"|"degraded_performance"|"partial_outage"|"major_outage"',
      },
    ]);
  });
});
