/** What commands print: tables for people, JSON for scripts. Everything passes the secret redactor. */
import Table from 'cli-table3';
import { Option } from 'commander';
import { redact, redactValue } from '../core/redact.js';

export type OutputFormat = 'table' | 'json';

export function outputOption(formats: readonly string[] = ['table', 'json']): Option {
  return new Option('-o, --output <format>', 'output format').choices([...formats]).default('table');
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress may be drawn. */
  interactive: boolean;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(`${redact(text)}\n`),
  err: (text) => process.stderr.write(`${redact(text)}\n`),
  interactive: Boolean(process.stderr.isTTY) && !process.env['CI'],
};

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(redactValue(value), null, 2));
}

export function renderTable(head: string[], rows: Array<Array<string | number | undefined>>): string {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((cell) => (cell === undefined ? '' : String(cell))));
  return table.toString();
}
