// Types for scripts/layers.mjs (plain JavaScript, so that eslint.config.js can import it).
export interface Layer {
  name: string;
  /** Paths under src-main/. */
  folders: string[];
  /** What it holds and why it sits where it does. */
  why: string;
  /** Folders inside it that belong to the same layer, each with what it holds. */
  subfolders?: Record<string, string>;
}
export declare const layers: readonly Layer[];
export declare const LIST_BEGIN: string;
export declare const LIST_END: string;
export declare function layerFolders(): string[];
export declare function layerListMarkdown(): string;
/** A domain's part of a layer above it (`<domain>/cli/`): subfolder name → the layer it belongs to. */
export declare const DOMAIN_PARTS: { readonly cli: 'cli' };
/** The layer folder a source folder counts in: `messages/cli` → `cli`, `terminal/sessions` → `terminal`. */
export declare function layerFolderOf(folder: string): string;
