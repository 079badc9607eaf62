/**
 * A feature's own services — its store, its manager (the terminal tabs, the inbox, the transfers) — are
 * its own: the feature exports a key carrying the factory that makes it, and the window makes each one
 * the first time something asks for it, once (docs/architecture.md §A domain's window and commands,
 * ADR 0088). The services container (services.ts) names none of them. A feature that uses another's
 * service imports that feature's key, as a domain uses another through the key its owner exports.
 *
 * No React and no DOM here, so node:test drives it.
 */
import type { ApiClient } from '../api/client.js';
import type { KeyValue } from './navigation.js';

/** What a feature's factory gets of the window: the agent's client and the two storages. */
export interface ServiceHost {
  readonly client: ApiClient;
  /** This window's storage (sessionStorage): what a reload keeps, such as the open terminal tabs. */
  readonly storage: KeyValue | null;
  /** This device's lasting choices (localStorage). */
  readonly prefs: KeyValue | null;
}

/** The typed key of a feature's service, and how to make it. Exported by the feature that owns it. */
export interface ServiceKey<T> {
  /** Its name in errors and while debugging (`terminals.manager`); the key itself is the object. */
  readonly name: string;
  create(host: ServiceHost): T;
}

export function serviceKey<T>(name: string, create: (host: ServiceHost) => T): ServiceKey<T> {
  return { name, create };
}

/** The features' services of one window: each made on first use, then the same one for the page's life. */
export class FeatureServices {
  private readonly made = new Map<ServiceKey<unknown>, unknown>();

  constructor(private readonly host: ServiceHost) {}

  get = <T>(key: ServiceKey<T>): T => {
    if (this.made.has(key)) return this.made.get(key) as T;
    const service = key.create(this.host);
    this.made.set(key, service);
    return service;
  };
}
