/**
 * IAM's wildcard patterns (`*` any run of characters, `?` one character) compared with each other,
 * not only with concrete strings: "may `iam:Create*` be used to call any action that `iam:*` names?"
 * needs overlap and containment between two patterns. Actions compare case-insensitively, resources
 * case-sensitively, as IAM does.
 */

type Token = { t: 'char'; c: string } | { t: 'one' } | { t: 'star' };

/** A policy variable such as `${aws:username}` stands for a value only known at request time. */
const VARIABLE = /\$\{[^}]*\}/g;

function tokenize(pattern: string, ignoreCase: boolean): Token[] {
  const text = ignoreCase ? pattern.toLowerCase() : pattern;
  const out: Token[] = [];
  for (const c of text) {
    if (c === '*') {
      if (out[out.length - 1]?.t !== 'star') out.push({ t: 'star' });
    } else if (c === '?') out.push({ t: 'one' });
    else out.push({ t: 'char', c });
  }
  return out;
}

/**
 * Answers already worked out, by relation, case rule and both patterns. Identities in one account share
 * most of their policies and every one is asked the same questions (each action of each escalation
 * path, each backup action), so the same pair recurs thousands of times in a large account. Bounded:
 * forgotten all at once when full.
 */
const MEMO_LIMIT = 50_000;
const answers = new Map<string, boolean>();

function remembered(key: string, work: () => boolean): boolean {
  const known = answers.get(key);
  if (known !== undefined) return known;
  const result = work();
  if (answers.size >= MEMO_LIMIT) answers.clear();
  answers.set(key, result);
  return result;
}

/** Whether some string is matched by both patterns. A policy variable may be anything, so it is `*` here. */
export function patternsOverlap(a: string, b: string, ignoreCase: boolean): boolean {
  return remembered(`o${ignoreCase ? 'i' : 'c'}${a}\u0000${b}`, () => overlapOf(tokenize(a.replace(VARIABLE, '*'), ignoreCase), tokenize(b.replace(VARIABLE, '*'), ignoreCase)));
}

function overlapOf(x: Token[], y: Token[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (y.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    const p = x[i];
    const q = y[j];
    if (!p && !q) result = true;
    else if (p?.t === 'star') result = go(i + 1, j) || (q !== undefined && go(i, j + 1));
    else if (q?.t === 'star') result = go(i, j + 1) || (p !== undefined && go(i + 1, j));
    else if (!p || !q) result = false;
    else result = (p.t === 'one' || q.t === 'one' || p.c === q.c) && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/**
 * Whether every string `inner` matches is also matched by `outer`. Sound (true means it holds),
 * though not complete for contrived patterns. A policy variable in `outer` covers only itself, so a
 * Deny written with one is never taken to cover more than it surely does.
 */
export function patternContains(outer: string, inner: string, ignoreCase: boolean): boolean {
  if (outer.includes('${')) return ignoreCase ? outer.toLowerCase() === inner.toLowerCase() : outer === inner;
  return remembered(`c${ignoreCase ? 'i' : 'c'}${outer}\u0000${inner}`, () => containmentOf(tokenize(outer, ignoreCase), tokenize(inner.replace(VARIABLE, '*'), ignoreCase)));
}

function containmentOf(x: Token[], y: Token[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (y.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    const p = x[i];
    const q = y[j];
    if (!p) result = !q;
    else if (p.t === 'star') result = go(i + 1, j) || (q !== undefined && go(i, j + 1));
    else if (!q || q.t === 'star') result = false;
    else if (p.t === 'one') result = go(i + 1, j + 1);
    else result = q.t === 'char' && q.c === p.c && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}
