/**
 * The full AWS inventory: the backup and storage lists (inventory.ts) plus what the access and
 * threat checks read (iam-inventory.ts, threat-inventory.ts), as one InventoryPort.
 */
import type { InventoryPort } from '../../checks/inventory.js';
import type { VaultClient } from '../vault.js';
import { VaultInventory } from '../vault-inventory.js';
import type { AwsClients } from './clients.js';
import { AwsIamInventory } from './iam-inventory.js';
import { AwsInventory, PublicAccessBlocks } from './inventory.js';
import { AwsThreatInventory } from './threat-inventory.js';

/** Binds every method of each part onto one object; parts must not define the same method. */
function combine(...parts: object[]): InventoryPort {
  const out: Record<string, unknown> = {};
  for (const part of parts) {
    let proto = Object.getPrototypeOf(part) as object | null;
    while (proto && proto !== Object.prototype) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const value = (part as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof value !== 'function' || name.startsWith('_')) continue;
        if (name in out) throw new Error(`inventory method ${name} is defined twice`);
        out[name] = (value as (...args: unknown[]) => unknown).bind(part);
      }
      proto = Object.getPrototypeOf(proto) as object | null;
    }
  }
  return out as unknown as InventoryPort;
}

/** One per run: the parts share what they read twice (a trail bucket's public access block is also an account bucket's). */
export function createAwsInventory(clients: AwsClients, vault?: VaultClient): InventoryPort {
  const blocks = new PublicAccessBlocks(clients);
  const threat = new AwsThreatInventory(clients, blocks);
  const inventory = combine(new AwsInventory(clients, blocks), new AwsIamInventory(clients), threat, new VaultInventory(vault));
  // Memory follows the accounts being scanned: their clients, sessions and remembered bucket reads go with them.
  inventory.release = (accountId) => {
    clients.release(accountId);
    blocks.forget(accountId);
    threat._forget(accountId);
  };
  return inventory;
}
