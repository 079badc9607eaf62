// Types for scripts/layers.mjs (plain JavaScript, so that eslint.config.js can import it).
import type { ListedDomain } from './domain-folders.mjs';

export interface Layer {
  name: string;
  /** Paths under src-main/. */
  folders: string[];
  /** What it holds and why it sits where it does. */
  why: string;
  /** Folders inside it that belong to the same layer, each with what it holds. */
  subfolders?: Record<string, string>;
  /** A domain's layer, made from app/domains.ts's list. */
  domain?: true;
  /** A domain's: the domains' folders it builds on, which sit below it. */
  builtOn?: string[];
}
export declare const layers: readonly Layer[];
/** The domains' layers, lowest first: the list's order, each above the domains it builds on. */
export declare function domainLayers(listed: readonly ListedDomain[]): Layer[];
/** Every layer, with these domains' between the node's and the composition root. */
export declare function layersWith(listed: readonly ListedDomain[]): readonly Layer[];
export declare const LIST_BEGIN: string;
export declare const LIST_END: string;
export declare const DOMAINS_LINE: string;
export declare function layerFolders(): string[];
export declare function layerListMarkdown(of?: readonly Layer[]): string;
export declare function domainLayersMarkdown(of?: readonly Layer[]): string;
/** A domain's part of a layer above it (`<domain>/cli/`): subfolder name → the layer it belongs to. */
export declare const DOMAIN_PARTS: { readonly cli: 'cli' };
/** The layer folder a source folder counts in: `messages/cli` → `cli`, `terminal/sessions` → `terminal`. */
export declare function layerFolderOf(folder: string): string;
