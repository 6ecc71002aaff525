/** Which resources a check looks at: tag selectors, include-any then exclude-any. */
import type { TagSelector } from '../config/schema.js';
import type { Tags } from './resources.js';

export interface Scope {
  include: TagSelector[];
  exclude: TagSelector[];
}

export function selectorMatches(selector: TagSelector, tags: Tags): boolean {
  return Object.entries(selector).every(([key, wanted]) => {
    const value = tags[key];
    if (value === undefined) return false;
    return Array.isArray(wanted) ? wanted.includes(value) : wanted === '*' || wanted === value;
  });
}

export function inScope(scope: Scope, tags: Tags): boolean {
  if (scope.include.length > 0 && !scope.include.some((s) => selectorMatches(s, tags))) return false;
  return !scope.exclude.some((s) => selectorMatches(s, tags));
}

export function describeScope(scope: Scope): string {
  const show = (s: TagSelector) => Object.entries(s).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : v}`).join(',');
  const parts: string[] = [];
  if (scope.include.length) parts.push(`tagged ${scope.include.map(show).join(' or ')}`);
  if (scope.exclude.length) parts.push(`not tagged ${scope.exclude.map(show).join(' or ')}`);
  return parts.length ? parts.join(', ') : 'all resources';
}
