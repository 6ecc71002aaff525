import { describe, expect, it } from 'vitest';
import { applyHeapPolicy } from '../../src/core/heap.js';

describe('heap growth policy', () => {
  it('is applied when the operator gave no heap flags', () => {
    expect(applyHeapPolicy({ NODE_OPTIONS: '--enable-source-maps' }, ['--import', 'tsx'])).toBe(true);
  });

  it("leaves an operator's heap cap or growth setting alone, from NODE_OPTIONS or node's command line", () => {
    expect(applyHeapPolicy({ NODE_OPTIONS: '--max-old-space-size=384' }, [])).toBe(false);
    expect(applyHeapPolicy({}, ['--max-old-space-size=512'])).toBe(false);
    expect(applyHeapPolicy({}, ['--heap-growing-percent=50'])).toBe(false);
    expect(applyHeapPolicy({ NODE_OPTIONS: '--max-heap-size=600 --trace-gc' }, [])).toBe(false);
    expect(applyHeapPolicy({ NODE_OPTIONS: '--max_old_space_size=384' }, [])).toBe(false);
  });
});
