/**
 * A sandbox world with the three incident channels (Slack, PagerDuty, Statuspage) and the Coursecraft
 * status page, for tests that follow an incident from signal to every channel. Each test passes its own
 * name and keys, so its calls are told apart from other tests' in the sandbox's logs.
 */
export interface IncidentChannelKeys {
  slackToken: string;
  routingKey: string;
  statuspageKey: string;
}

export function incidentChannelsScenario(name: string, keys: IncidentChannelKeys): string {
  return `
name: ${name}
accounts:
  - id: "111111111111"
    name: management
slack:
  team: { name: Coursecraft, domain: coursecraft }
  tokens: [${keys.slackToken}]
  channels: [incidents]
pagerduty:
  routingKeys:
    - { key: ${keys.routingKey}, service: Coursecraft Platform }
statuspage:
  apiKeys: [${keys.statuspageKey}]
  pages:
    - id: cc-status
      name: Coursecraft Status
      components:
        - { name: SCORM Cloud Website }
        - { name: SCORM Cloud API }
        - { name: Reporting }
`;
}
