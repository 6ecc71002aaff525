import { afterEach, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { cancelMaintenance, mutedComponents, scheduleMaintenance, sweepMaintenance } from '../../src/incidents/maintenance.js';
import { pipeline } from './pipeline-helpers.js';

const opened: Array<{ close(): Promise<void> }> = [];
function setup() {
  const p = pipeline();
  opened.push(p.store);
  return { ...p, mdeps: { store: p.deps.store, clock: p.clock, channels: p.deps.channels } };
}
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

const request = { start: '2026-11-26T02:00Z', end: '2026-11-26T04:00Z', components: ['SCORM Cloud API'], reason: 'PostgreSQL 16 upgrade', emergency: false, actor: 'alice' };

describe('maintenance windows', () => {
  it('refuses a start less than 24 h away unless it is an emergency', async () => {
    const { mdeps } = setup();
    const err = await scheduleMaintenance(mdeps, { ...request, start: '2026-11-24T20:00Z' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([{ file: 'arguments', path: 'start', message: expect.stringContaining('at least 24 h ahead and this one starts in 11.0 h') }]);
    expect(await mdeps.store.listMaintenance()).toEqual([]);

    const emergency = await scheduleMaintenance(mdeps, { ...request, start: '2026-11-24T20:00Z', emergency: true });
    expect(emergency).toMatchObject({ id: 'MNT-1', status: 'scheduled', emergency: true });
  });

  it('names every problem at once: an end before the start, no components, no zone', async () => {
    const { mdeps } = setup();
    const err = (await scheduleMaintenance(mdeps, { ...request, end: '2026-11-26T01:00Z', components: [] }).catch((e: unknown) => e)) as ConfigError;
    expect(err.problems.map((p) => p.path)).toEqual(['end', 'components']);
    const zoneless = (await scheduleMaintenance(mdeps, { ...request, start: '2026-11-26 02:00' }).catch((e: unknown) => e)) as ConfigError;
    expect(zoneless.problems[0]?.message).toContain('with a zone');
  });

  it('announces the window, opens and closes it on time, and mutes its components meanwhile', async () => {
    const { mdeps, clock } = setup();
    const window = await scheduleMaintenance(mdeps, request);
    expect((await mdeps.store.listOutbox({ subjectId: 'MNT-1' })).map((o) => o.id)).toEqual(['MNT-1/maintenance-scheduled/slack', 'MNT-1/maintenance-scheduled/statuspage']);

    clock.set(new Date('2026-11-26T02:00:00Z'));
    expect(await sweepMaintenance(mdeps)).toEqual([{ id: 'MNT-1', event: 'maintenance-started' }]);
    expect([...mutedComponents(await mdeps.store.listMaintenance(), clock.now())]).toEqual(['SCORM Cloud API']);
    expect(await sweepMaintenance(mdeps)).toEqual([]);

    clock.advance(2 * HOUR_MS);
    expect(await sweepMaintenance(mdeps)).toEqual([{ id: 'MNT-1', event: 'maintenance-completed' }]);
    expect(mutedComponents(await mdeps.store.listMaintenance(), clock.now()).size).toBe(0);
    expect((await mdeps.store.getMaintenance(window.id))?.status).toBe('completed');
  });

  it('catches up on a window that opened and closed while Vigil was down', async () => {
    const { mdeps, clock } = setup();
    await scheduleMaintenance(mdeps, request);
    clock.set(new Date('2026-11-27T00:00:00Z'));
    expect(await sweepMaintenance(mdeps)).toEqual([
      { id: 'MNT-1', event: 'maintenance-started' },
      { id: 'MNT-1', event: 'maintenance-completed' },
    ]);
  });

  it('cancels a scheduled window once', async () => {
    const { mdeps } = setup();
    await scheduleMaintenance(mdeps, request);
    expect((await cancelMaintenance(mdeps, 'mnt-1', { actor: 'alice', reason: 'postponed' })).status).toBe('cancelled');
    const again = (await cancelMaintenance(mdeps, 'MNT-1', { actor: 'alice', reason: 'x' }).catch((e: unknown) => e)) as ConfigError;
    expect(again.problems[0]?.message).toBe('maintenance MNT-1 is already cancelled');
  });
});
