/** "Have we done a test restore this week? If not, do one now." Pure over the drill history. */
import type { DrillRecord } from '../store/types.js';
import type { DrillDefinition } from './definitions.js';

export interface DueState {
  target: string;
  windowMs: number;
  lastSuccess?: { id: string; at: string };
  due: boolean;
  /** Why it is due, or when it next will be. */
  reason: string;
}

export function dueDrills(definitions: DrillDefinition[], lastSuccess: ReadonlyMap<string, DrillRecord>, now: Date): DueState[] {
  return definitions.map((def) => {
    const last = lastSuccess.get(def.id);
    const windowDays = def.window / 86_400_000;
    if (!last) return { target: def.id, windowMs: def.window, due: true, reason: `no successful drill on record; the window is ${windowDays} days` };
    const at = last.finishedAt ?? last.startedAt;
    const nextDue = Date.parse(at) + def.window;
    const due = now.getTime() >= nextDue;
    return {
      target: def.id,
      windowMs: def.window,
      lastSuccess: { id: last.id, at },
      due,
      reason: due ? `last successful drill ${at} is older than ${windowDays} days` : `next due ${new Date(nextDue).toISOString()}`,
    };
  });
}
