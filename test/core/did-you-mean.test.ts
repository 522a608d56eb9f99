import { describe, expect, it } from 'vitest';
import { unknownServices } from '../../src/core/did-you-mean.js';

describe('unknownServices', () => {
  it('names the unknown, the closest known one for a single typo, and the known ones', () => {
    expect(unknownServices(['webb'], ['web', 'worker'])).toBe(
      'unknown service "webb" — did you mean "web"? (known: web, worker)',
    );
    expect(unknownServices(['nope'], ['crash'])).toBe('unknown service "nope" (known: crash)');
    expect(unknownServices(['a', 'b'], ['web'])).toBe('unknown services "a", "b" (known: web)');
    expect(unknownServices(['x'], [])).toBe('unknown service "x" (known: none)');
  });

  it('lists 12 known names at most, then how many more', () => {
    const known = Array.from({ length: 500 }, (_, i) => `svc${i + 1}`);
    const first = known.slice(0, 12).join(', ');
    expect(unknownServices(['zzz'], known)).toBe(`unknown service "zzz" (known: ${first} and 488 more)`);
    expect(unknownServices(['svc500x'], known)).toBe(
      `unknown service "svc500x" — did you mean "svc500"? (known: ${first} and 488 more)`,
    );
  });
});
