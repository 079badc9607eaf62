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
export declare function fileGraph(moves?: Record<string, string>): { files: string[]; edges: ImportEdge[] };
export declare function folderOf(file: string): string;
export declare function layerIndex(
  layers: readonly { name: string; folders: string[] }[],
): (file: string) => number;
export declare const topFolderOf: (file: string) => string;
export declare function folderCycles(
  edges: readonly ImportEdge[],
  key?: (file: string) => string,
): string[][];
