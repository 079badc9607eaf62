// Types for scripts/test-paths.mjs (plain JavaScript: the test runner needs no build step).
export declare function testPaths(root: string, wanted: string[]): string[];
