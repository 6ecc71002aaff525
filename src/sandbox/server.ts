/**
 * One HTTP listener for everything plain-HTTP (AWS, Vault, Slack, Statuspage, the inspection API) and
 * one TLS listener for PagerDuty, whose client only speaks HTTPS. Fault rules apply to every request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import { EnvironmentError } from '../core/errors.js';
import type { Emulator, HttpInput, HttpOutput } from './http-types.js';
import { json } from './http-types.js';
import type { World } from './world.js';

const MAX_BODY_BYTES = 20 * 1024 * 1024;

export type Handler = (input: HttpInput) => Promise<HttpOutput>;

/** Routes a request to the first emulator that claims it, with faults and recording around it. */
export function createHandler(world: World, emulators: Emulator[], fallback: Handler): Handler {
  return async (input) => {
    for (const emulator of emulators) {
      const routed = emulator.route(input, world);
      if (!routed) continue;
      const target = { service: routed.service.replace(/^aws:/, ''), operation: routed.operation, account: routed.account, region: routed.region };
      const decision = world.faults.decide(target);
      if (decision.delayMs > 0) await sleep(decision.delayMs);
      let output: HttpOutput;
      let fault: 'throttle' | 'error' | 'hang' | undefined;
      if (decision.action === 'hang') {
        world.recorder.record({ ...identity(routed), status: 0, fault: 'hang' });
        return HANG;
      } else if (decision.action === 'throttle') {
        output = routed.throttled();
        fault = 'throttle';
      } else if (decision.action === 'error') {
        output = routed.failed(decision.errorStatus ?? 500);
        fault = 'error';
      } else {
        output = await routed.handle();
      }
      world.recorder.record({ ...identity(routed), status: output.status, errorCode: output.errorCode, fault });
      return output;
    }
    return fallback(input);
  };
}

function identity(routed: { service: string; operation: string; action?: string; account?: string; region?: string; accessKeyId?: string }) {
  return { service: routed.service, operation: routed.operation, action: routed.action, account: routed.account, region: routed.region, accessKeyId: routed.accessKeyId };
}

/** Marker answer: keep the connection open and never reply (a hanging upstream). */
export const HANG: HttpOutput = { status: 0 };

export interface Listener {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function listen(
  handler: Handler,
  options: { host: string; port: number; name: string; tls?: { key: string; cert: string } },
): Promise<Listener> {
  const sockets = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    void serve(handler, req, res);
  };
  const server: Server = options.tls ? (createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest) as unknown as Server) : createServer(onRequest);
  server.keepAliveTimeout = 5_000;
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new EnvironmentError(`${options.name}: port ${options.port} on ${options.host} is already in use; choose another with --port`));
      else if (err.code === 'EACCES') reject(new EnvironmentError(`${options.name}: not allowed to listen on port ${options.port}; choose a port above 1023 with --port`));
      else reject(err);
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function serve(handler: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let output: HttpOutput;
  try {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://sandbox');
    output = await handler({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, host: req.headers.host ?? '', body });
  } catch (err) {
    output = json(500, { error: 'sandbox internal error', message: err instanceof Error ? err.message : String(err) });
  }
  if (output === HANG) return;
  const body = output.body ?? '';
  res.writeHead(output.status, { 'content-length': String(Buffer.byteLength(body)), ...output.headers });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
