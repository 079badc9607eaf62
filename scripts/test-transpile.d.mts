// Types for scripts/test-transpile.mjs (plain JavaScript: the test runner needs no build step).
export declare const SOURCE_FOLDERS: string[];
export declare function mirrored(root: string, mirror: string, file: string): string;
export declare function transpileTree(
  root: string,
  parent?: string,
): Promise<{ mirror: string; files: number; ms: number }>;
