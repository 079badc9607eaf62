// Types for scripts/domain-folders.mjs (plain JavaScript, so that eslint.config.js can import it).
export interface ListedDomain {
  /** Its folder under src-main/. */
  folder: string;
  /** Its description's file in that folder, without extension. */
  file: string;
  /** The folders of the domains it builds on (its description's `builtOn`). */
  builtOn: string[];
  /** Its feature of the window: a folder under src-renderer/features/ (its description's `window`). */
  window?: string;
}
export declare function listedDomains(listText?: string, read?: (path: string) => string): ListedDomain[];
export declare function domainFolders(): string[];
