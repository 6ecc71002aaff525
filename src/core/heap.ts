/**
 * How far V8 lets Vigil's heap grow between collections. With memory to spare (a heap limit of 2 GB or
 * more, Node's default on any machine with 8 GB) V8 lets garbage pile up to four times the heap a full
 * collection leaves before collecting again; below 2 GB, at most twice. A scan's work is AWS answers
 * read once and dropped, so it allocates fast and holds little (about 150 MB for 50 accounts, one of
 * them with 25,000 snapshots): the factor of four made the scan benchmark's peak RSS 550-600 MB for
 * that 150 MB; two makes it 410-440 MB, for about the same CPU.
 *
 * An operator's own heap flags (in NODE_OPTIONS or on node's command line: a container sized with
 * `--max-old-space-size`) are left as they are.
 */
import { setFlagsFromString } from 'node:v8';

/** Growth of at most twice the live heap between full collections (V8's factor 1 + percent / 100). */
export const HEAP_GROWING_PERCENT = 100;
/** Node and V8 take either spelling: `--max-old-space-size` or `--max_old_space_size`. */
const OPERATOR_FLAGS = /--(max[-_]old[-_]space[-_]size|heap[-_]growing[-_]percent|max[-_]heap[-_]size)\b/;

/** Applies Vigil's heap growth policy to this process, unless the operator set heap flags; says whether it did. */
export function applyHeapPolicy(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): boolean {
  if (OPERATOR_FLAGS.test(env['NODE_OPTIONS'] ?? '') || execArgv.some((arg) => OPERATOR_FLAGS.test(arg))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
