// Types for scripts/import-graph.mjs (plain JavaScript, run without a build step).
export interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
  line: string;
}
export declare function sourceFiles(dir: string, base?: string): string[];
export declare function importsOf(
  text: string,
  fileName: string,
): { spec: string; typeOnly: boolean; dynamic: boolean }[];
/** The repo-relative source file `spec`, written in `from`, means; null when `exists` knows none. */
export declare function resolveSpec(
  from: string,
  spec: string,
  exists: (file: string) => boolean,
): string | null;
export declare function fileGraph(moves?: Record<string, string>): { files: string[]; edges: ImportEdge[] };
export declare function folderOf(file: string): string;
export declare function layerIndex(
  layers: readonly { name: string; folders: string[] }[],
): (file: string) => number;
export declare const topFolderOf: (file: string) => string;
/** A file's folder, a domain's part (`messages/cli/x.ts`) counted in its layer's folder (`cli`). */
export declare const partAwareFolderOf: (file: string) => string;
export declare function folderCycles(
  edges: readonly ImportEdge[],
  key?: (file: string) => string,
): string[][];
