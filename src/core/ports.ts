/** Interfaces the core depends on; adapters implement them. */

/** Reads one key of a secret, e.g. path `secret/data/vigil`, key `slack_token`. */
export interface SecretReader {
  readSecret(path: string, key: string): Promise<string>;
}
