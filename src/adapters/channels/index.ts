/**
 * The channels the outbox dispatcher delivers through, built from the `integrations` section: one per
 * configured service, none when nothing is configured. Secrets in the config are already resolved and
 * registered with the redactor by the config loader.
 */
import type { VigilConfig } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import type { Channel } from '../../incidents/delivery.js';
import { createPagerDutyChannel, type PagerDutyDeps } from './pagerduty.js';
import { createSlackChannel } from './slack.js';
import { createStatuspageChannel } from './statuspage.js';

export interface ChannelDeps extends PagerDutyDeps {
  log?: Logger;
}

export function createChannels(config: VigilConfig['integrations'], deps: ChannelDeps = {}): Channel[] {
  const channels: Channel[] = [];
  if (config.pagerduty) channels.push(createPagerDutyChannel(config.pagerduty, deps));
  if (config.slack) channels.push(createSlackChannel(config.slack, deps));
  if (config.statuspage) channels.push(createStatuspageChannel(config.statuspage));
  return channels;
}

export { createPagerDutyChannel, createSlackChannel, createStatuspageChannel };
