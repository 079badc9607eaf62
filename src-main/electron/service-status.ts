/**
 * What Settings shows of the home's service (service-desktop.ts decides it; the window reads it through
 * the preload's `service`). Types only, so the renderer takes them without main's modules.
 */
export interface DesktopServiceStatus {
  /** The home's service, when one is installed: its name, and where its log is. */
  readonly installed: { readonly name: string; readonly log: string } | null;
  /** Why it cannot be switched now, in words for the window; null when it can. */
  readonly blocked: string | null;
}
