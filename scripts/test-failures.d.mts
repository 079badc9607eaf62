// Types for scripts/test-failures.mjs (plain JavaScript: the test runner needs no build step).
export declare const DIGEST_LINES: number;
export declare function failureDigest(out: string, max?: number): string[];
