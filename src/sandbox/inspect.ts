/** `/_sandbox/`: what clients sent, the active fault rules, and each emulator's read-only views. */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { validateInput } from '../core/input.js';
import { faultRuleSchema } from './faults.js';
import { json, type Emulator, type HttpInput, type HttpOutput } from './http-types.js';
import type { World } from './world.js';

const faultsBodySchema = z.strictObject({ rules: z.array(faultRuleSchema), seed: z.number().int().optional() });

export interface SandboxInfo {
  name: string;
  awsEndpoint: string;
  vaultAddr: string;
  slackApiUrl: string;
  statuspageApiUrl: string;
  pagerdutyServer: string;
  /** The platform's public endpoints: `<siteUrl>/<host>/<path>`. */
  siteUrl: string;
  caCertFile?: string;
}

export function inspection(world: World, emulators: Emulator[], info: () => SandboxInfo) {
  return async (input: HttpInput): Promise<HttpOutput> => {
    if (!input.path.startsWith('/_sandbox')) return json(404, { error: 'not found', path: input.path });
    const route = input.path.replace(/^\/_sandbox\/?/, '').replace(/\/$/, '');
    const method = input.method;
    if (route === '' && method === 'GET') {
      const accounts = [...world.accounts.values()].map((a) => ({
        id: a.id,
        name: a.name,
        status: a.status,
        accessKeys: [...world.credentials.values()].filter((c) => c.accountId === a.id && c.principalType !== 'assumed-role').map((c) => c.accessKeyId),
      }));
      return json(200, { ...info(), accounts, views: ['calls', 'calls/summary', 'faults', ...emulators.flatMap((e) => Object.keys(e.inspect ?? {}))] });
    }
    if (route === 'calls' && method === 'GET') {
      const q = input.query;
      return json(200, world.recorder.calls({
        service: q.get('service') ?? undefined,
        operation: q.get('operation') ?? undefined,
        account: q.get('account') ?? undefined,
        since: q.has('since') ? Number(q.get('since')) : undefined,
        limit: q.has('limit') ? Number(q.get('limit')) : undefined,
      }));
    }
    if (route === 'calls/summary' && method === 'GET') return json(200, { lastSeq: world.recorder.lastSeq, counts: world.recorder.summary() });
    if (route === 'calls' && method === 'DELETE') {
      world.recorder.reset();
      return { status: 204 };
    }
    if (route === 'faults') {
      if (method === 'GET') return json(200, { rules: world.faults.list() });
      if (method === 'DELETE') {
        world.faults.set([]);
        return { status: 204 };
      }
      if (method === 'PUT') {
        try {
          const body = validateInput(parseJson(input.body), faultsBodySchema, 'request body');
          world.faults.set(body.rules, body.seed);
          return json(200, { rules: world.faults.list() });
        } catch (err) {
          if (err instanceof ConfigError) return json(400, { error: 'invalid fault rules', problems: err.problems });
          throw err;
        }
      }
    }
    for (const emulator of emulators) {
      const view = emulator.inspect?.[route];
      if (view && method === 'GET') return json(200, view(world, input.query));
    }
    for (const emulator of emulators) {
      const answer = emulator.control?.(route, input, world);
      if (answer) return answer;
    }
    return json(404, { error: `no inspection view ${method} /_sandbox/${route}` });
  };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ConfigError([{ file: 'request body', path: '', message: 'not valid JSON' }]);
  }
}
