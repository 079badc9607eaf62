/**
 * The domains of one agent, created from the list (app/domains.ts) and merged into what the root
 * needs of them (docs/architecture.md §Adding a domain): one lifecycle list's domain entries, one
 * handler per API method, the streaming methods, the event sources and the status. Generic: it names
 * no domain.
 */
import type { StreamUpgradeHandlers } from '../api/stream-upgrade.js';
import type { Disposer } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import type { LifecyclePart } from '../core/lifecycle.js';
import type {
  DomainContext,
  DomainContextCommon,
  DomainEvents,
  DomainOptions,
  DomainInstance,
  DomainKey,
  DomainStatus,
  ListedDomain,
  MethodHandlers,
} from '../links/domain.js';
import type { SectionKey, SettingsSlice } from '../state/settings-sections.js';
import { DisposableStore } from '../core/disposables.js';

/** What the API handler takes of the domains. */
export interface DomainApi {
  readonly handlers: MethodHandlers;
  readonly events: DomainEvents;
  readonly status: Required<DomainStatus>;
}

export interface DomainSet extends DomainApi {
  /** Their parts that start before the node and stop after it, in the list's order. */
  readonly beforeNode: LifecyclePart[];
  /** Their parts that start once the node runs and stop before it, in the list's order. */
  readonly afterNode: LifecyclePart[];
  readonly upgrades: StreamUpgradeHandlers;
}

/** What each domain is given, but for `provide` and `use`, which the set adds, and what is its own. */
export type DomainContextBase = Omit<DomainContextCommon, 'provide' | 'use' | 'options'>;

/** What is one domain's alone: the settings section it owns, its run options (ADR 0091). */
export interface DomainOwn {
  /** The slice of a section, for the domain whose description names it; none: no domain may own one. */
  readonly section?: <K extends SectionKey>(key: K) => SettingsSlice<K>;
  /** The process's options for the domains, by name (run-agent.ts `domainOptions`). */
  readonly options?: DomainOptions;
}

/**
 * Creates every domain, in order, each with the context, its own section and options, and what the
 * ones before it provided.
 * @throws ClawError('INTERNAL') when two domains answer the same method, provide under the same key or
 * own the same settings section, or one owns a section no slice is given for
 */
export async function createDomains(
  list: readonly ListedDomain[],
  base: DomainContextBase,
  own: DomainOwn = {},
): Promise<DomainSet> {
  const provided = new Map<string, unknown>();
  const common: Omit<DomainContextCommon, 'options'> = {
    ...base,
    provide: (key, value) => {
      if (provided.has(key.name)) throw new ClawError('INTERNAL', `two domains provide ${key.name}`);
      provided.set(key.name, value);
    },
    use: <T>(key: DomainKey<T>) => provided.get(key.name) as T | undefined,
  };
  const owners = new Map<string, string>();
  const created: { name: string; instance: DomainInstance }[] = [];
  for (const d of list) {
    const options = own.options?.[d.name as keyof DomainOptions];
    const ctx: DomainContext = { ...common, options: options === undefined ? {} : { [d.name]: options } };
    if (d.settings === undefined) {
      // A description that names no section takes the context without `settings` (DomainContext<never>);
      // the list's type widens every description to one that might, hence the cast.
      created.push({ name: d.name, instance: await d.create(ctx as DomainContext<SectionKey>) });
      continue;
    }
    const owner = owners.get(d.settings);
    if (owner)
      throw new ClawError('INTERNAL', `two domains own the settings' ${d.settings}: ${owner} and ${d.name}`);
    if (!own.section)
      throw new ClawError('INTERNAL', `${d.name} owns the settings' ${d.settings}, and no slice is given`);
    owners.set(d.settings, d.name);
    created.push({ name: d.name, instance: await d.create({ ...ctx, settings: own.section(d.settings) }) });
  }
  return mergeDomains(created);
}

/** One set from domains already created (`name` says which answered what). */
export function mergeDomains(created: readonly { name: string; instance: DomainInstance }[]): DomainSet {
  const handlers: Record<string, unknown> = {};
  const answeredBy = new Map<string, string>();
  const upgrades: Record<string, unknown> = {};
  for (const { name, instance } of created) {
    for (const [method, handler] of Object.entries(instance.handlers ?? {})) {
      const other = answeredBy.get(method);
      if (other)
        throw new ClawError('INTERNAL', `${method} is answered by two domains: ${other} and ${name}`);
      answeredBy.set(method, name);
      handlers[method] = handler;
    }
    for (const [method, handler] of Object.entries(instance.upgrades ?? {})) {
      if (upgrades[method]) throw new ClawError('INTERNAL', `${method} is streamed by two domains`);
      upgrades[method] = handler;
    }
  }
  const instances = created.map((c) => c.instance);
  return {
    beforeNode: instances.flatMap((i) => i.parts?.beforeNode ?? []),
    afterNode: instances.flatMap((i) => i.parts?.afterNode ?? []),
    handlers: handlers,
    upgrades: upgrades,
    events: mergeEvents(instances.map((i) => i.events ?? {})),
    status: {
      snapshot: () =>
        Object.assign({}, ...instances.map((i) => i.status?.snapshot?.() ?? {})) as ReturnType<SnapshotOf>,
      call: () => Object.assign({}, ...instances.map((i) => i.status?.call?.() ?? {})) as ReturnType<CallOf>,
    },
  };
}

type SnapshotOf = NonNullable<DomainStatus['snapshot']>;
type CallOf = NonNullable<DomainStatus['call']>;
type Source = (listener: (value: never) => void) => Disposer;

/** Each event's sources as one: followed together, disposed together. */
function mergeEvents(all: readonly DomainEvents[]): DomainEvents {
  const merged: Record<string, unknown> = {};
  const keys = new Set(all.flatMap((e) => Object.keys(e).filter((k) => k !== 'busy')));
  for (const key of keys) {
    const sources = all
      .map((e) => e[key as keyof DomainEvents] as Source | undefined)
      .filter((s) => s !== undefined);
    merged[key] =
      sources.length === 1
        ? sources[0]
        : (listener: (value: never) => void): Disposer => {
            const offs = new DisposableStore();
            offs.add(...sources.map((s) => s(listener)));
            return () => offs.dispose();
          };
  }
  const busy = all.map((e) => e.busy).filter((b) => b !== undefined);
  return { ...(merged as DomainEvents), ...(busy.length > 0 ? { busy: () => busy.some((b) => b()) } : {}) };
}
