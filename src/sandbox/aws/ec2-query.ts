/**
 * What every EC2 Describe call shares: `Filter.N.Name/Value.N` with `*`/`?` wildcards and `tag:` keys,
 * MaxResults ranges, and NextTokens that resume a scan where it stopped, so each page costs the items
 * it looks at rather than everything before it.
 */
import { AwsError, queryList, queryNumber, queryString, type QueryValue } from './protocol.js';

type Params = Record<string, QueryValue>;

export interface Ec2Filter {
  name: string;
  values: string[];
}

export function readFilters(params: Params): Ec2Filter[] {
  return queryList(params, 'Filter').map((entry) => {
    const filter = typeof entry === 'object' && !Array.isArray(entry) ? entry : {};
    const name = queryString(filter, 'Name') ?? '';
    const values = queryList(filter, 'Value').filter((v): v is string => typeof v === 'string');
    return { name, values };
  });
}

/** The filterable attributes of one resource type: a name to the value(s) an item has for it. */
export type FilterFields<T> = Record<string, (item: T) => string | readonly string[] | undefined>;

/** EC2 filter values are case-sensitive and take `*` (any run) and `?` (one character). */
function valueMatcher(values: string[]): (value: string) => boolean {
  const patterns = values.map((value) => {
    if (!/[*?]/.test(value)) return (candidate: string) => candidate === value;
    const source = value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    const re = new RegExp(`^${source}$`, 's');
    return (candidate: string) => re.test(candidate);
  });
  return (candidate) => patterns.some((match) => match(candidate));
}

/**
 * One predicate for all filters (AND across filters, OR across a filter's values). Tag filters
 * (`tag:<key>`, `tag-key`, `tag-value`) work on every resource type. Unknown names are errors, as in AWS.
 */
export function compileFilters<T>(filters: Ec2Filter[], fields: FilterFields<T>, tagsOf: (item: T) => Record<string, string>): (item: T) => boolean {
  const tests = filters.map((filter): ((item: T) => boolean) => {
    if (filter.values.length === 0) throw new AwsError('InvalidParameterValue', `The filter '${filter.name}' requires at least one value.`, 400);
    const matches = valueMatcher(filter.values);
    if (filter.name.startsWith('tag:')) {
      const key = filter.name.slice(4);
      return (item) => {
        const value = tagsOf(item)[key];
        return value !== undefined && matches(value);
      };
    }
    if (filter.name === 'tag-key') return (item) => Object.keys(tagsOf(item)).some(matches);
    if (filter.name === 'tag-value') return (item) => Object.values(tagsOf(item)).some(matches);
    const field = fields[filter.name];
    if (!field) throw new AwsError('InvalidParameterValue', `The filter '${filter.name}' is invalid`, 400);
    return (item) => {
      const value = field(item);
      if (value === undefined) return false;
      return typeof value === 'string' ? matches(value) : value.some(matches);
    };
  });
  return (item) => tests.every((test) => test(item));
}

export interface PageLimits {
  min: number;
  max: number;
  /** The request's id list parameter, e.g. `SnapshotId` (AWS names it `snapshotSet` in the error). */
  idsParam: string;
  idsWireName: string;
}

/**
 * The page size a Describe call asked for, or undefined for "everything". EC2 refuses sizes under its
 * minimum, caps sizes over its maximum, and refuses MaxResults together with explicit ids.
 */
export function readPageSize(params: Params, limits: PageLimits): number | undefined {
  const maxResults = queryNumber(params, 'MaxResults');
  const ids = queryList(params, limits.idsParam);
  if (maxResults === undefined) return undefined;
  if (ids.length > 0) {
    throw new AwsError('InvalidParameterCombination', `The parameter ${limits.idsWireName} cannot be used with the parameter maxResults`, 400);
  }
  if (!Number.isInteger(maxResults) || maxResults < limits.min) {
    throw new AwsError('InvalidParameterValue', `Value ( ${queryString(params, 'MaxResults')} ) for parameter maxResults is invalid. Expecting a value greater than ${limits.min}.`, 400);
  }
  return Math.min(maxResults, limits.max);
}

/** A position in a scan: e.g. `[owner, index]` or `[source, index, tag]`. */
export type Cursor = number[];

export interface Candidate<T> {
  item: T;
  /** Where a later page resumes to reach this item first. */
  cursor: Cursor;
}

/** Opaque to callers; tied to the scan it came from so a token from another operation is refused. */
export function encodeToken(scan: string, cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ s: scan, c: cursor })).toString('base64url');
}

export function decodeToken(params: Params, scan: string, width: number): Cursor {
  const token = queryString(params, 'NextToken');
  if (token === undefined || token === '') return new Array<number>(width).fill(0);
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; c?: unknown };
    const cursor = decoded.c;
    if (decoded.s === scan && Array.isArray(cursor) && cursor.length === width && cursor.every((n) => Number.isInteger(n) && n >= 0)) return cursor as Cursor;
  } catch {
    // fall through to the error below
  }
  throw new AwsError('InvalidNextToken', `The specified NextToken is not valid.`, 400);
}

/**
 * Takes one page from a lazy, already-filtered scan. The token points at the first item of the next
 * page, so there is none when the page ends exactly at the last match.
 */
export function takePage<T>(candidates: Iterable<Candidate<T>>, pageSize: number | undefined, scan: string): { items: T[]; nextToken?: string } {
  const limit = pageSize ?? Number.POSITIVE_INFINITY;
  const items: T[] = [];
  for (const candidate of candidates) {
    if (items.length >= limit) return { items, nextToken: encodeToken(scan, candidate.cursor) };
    items.push(candidate.item);
  }
  return { items };
}

export function* where<T>(candidates: Iterable<Candidate<T>>, predicate: (item: T) => boolean): Generator<Candidate<T>> {
  for (const candidate of candidates) if (predicate(candidate.item)) yield candidate;
}

/** Items of an append-only list from a position, skipping removed ones. */
export function* listFrom<T>(list: readonly T[], from: number, prefix: Cursor, alive: (item: T) => boolean): Generator<Candidate<T>> {
  for (let index = from; index < list.length; index++) {
    const item = list[index] as T;
    if (alive(item)) yield { item, cursor: [...prefix, index] };
  }
}

/** Strings of an ec2Query list parameter (`SnapshotId.N`, `Owner.N`). */
export function stringList(params: Params, key: string): string[] {
  return queryList(params, key).filter((v): v is string => typeof v === 'string');
}

export function requireString(params: Params, key: string): string {
  const value = queryString(params, key);
  if (value === undefined || value === '') throw new AwsError('MissingParameter', `The request must contain the parameter ${key}`, 400);
  return value;
}
