/**
 * What the public hears about an incident: the status page Vigil serves and the Statuspage channel say
 * the same sentence for the same change, and never an automatic actor's internal reason.
 */
import type { IncidentEvent } from './delivery.js';
import type { IncidentAction } from './types.js';

export const PUBLIC_SENTENCES: Partial<Record<IncidentEvent, string>> = {
  opened: 'We are investigating an issue affecting this service.',
  mitigated: 'We have identified the issue and a temporary fix is in place.',
  monitoring: 'A fix has been put in place and we are monitoring the results.',
  resolved: 'This incident has been resolved.',
  reopened: 'The issue has returned and we are investigating again.',
};

/** The announcement each state-changing action makes. */
export const EVENT_OF_ACTION: Partial<Record<IncidentAction, IncidentEvent>> = {
  ack: 'acknowledged',
  mitigate: 'mitigated',
  monitor: 'monitoring',
  resolve: 'resolved',
  reopen: 'reopened',
};
