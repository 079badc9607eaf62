/**
 * Which view the window shows. A tiny store rather than a router: the views are few and there are no
 * URLs to share. The choice survives a reload through sessionStorage, and main.tsx also names it in
 * the address's fragment (`#pair`, lib/fragment.ts viewFragment), so a reload lands where the window
 * was even where that storage did not keep it. The views are the registered features' ids
 * (features/index.ts), given at construction; what each may be opened for and the links it takes are
 * its feature's (ADR 0088): this module names none.
 */
import { Listeners, type Disposer } from '../api/transport.js';
import type { ServiceKey } from './feature-services.js';

/** A view: the id of the feature that shows it (`peers`, `messages`). */
export type View = string;

/**
 * What each view may be opened for, by view: a peer pre-selected in "Add forward", a join started from
 * a link, the request a notification was about. Each feature adds its own entry from its folder
 * (`declare module` in its `<feature>-links.ts`), as a domain adds its methods to `ContractMethods`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface Intents {}

/** What `view` may be opened for: its feature's entry in `Intents`, or nothing. */
export type IntentOf<V extends View> = V extends keyof Intents ? Intents[V] : Record<string, never>;

/** What the shown view was opened for, whichever view that is (`{}`: nothing in particular). */
export type Intent = object;

/**
 * A link a feature takes (`#terminals?open=<peer>&name=<name>`, lib/fragment.ts): its route and what
 * its parameters open the feature's view for. Pure, in the feature's `<feature>-links.ts`.
 */
export interface FeatureLink<V extends keyof Intents = keyof Intents> {
  /** The view it opens: its feature's id. */
  readonly view: V;
  /** What follows `#` (`pair/new`); the view's id when it is the plain link with parameters. */
  readonly route: string;
  /**
   * The first form of links, `#<route>=<value>`, stands for this route with `<value>` as this parameter
   * (`#join=<code>` is `#join?invite=<code>`).
   */
  readonly firstForm?: string;
  /** What the link opens the view for; `param` gives a parameter's checked value, or null. */
  intent(param: (key: string) => string | null): IntentOf<V>;
}

/** What following a link may use of the window: where it goes, and the features' services. */
export interface LinkTargets {
  nav: Pick<Navigation, 'go' | 'show'>;
  get: <T>(key: ServiceKey<T>) => T;
}

/** What links and navigation know of a feature (features/registry.ts `Feature` has these). */
export interface LinkedFeature {
  readonly id: string;
  /** The links with parameters it takes; `#<id>` alone always shows its view. */
  readonly links?: readonly FeatureLink[];
  /**
   * What following a link to its view does first, once (not when the view renders, so a re-render
   * never does it twice): returns what the view is then opened for.
   */
  follow?(intent: Intent, targets: LinkTargets): Intent;
}

const KEY = 'clawbridge.view';

/** Where the window is: the view, what it was opened for, and a count that changes on every go(). */
export interface Place {
  view: View;
  intent: Intent;
  seq: number;
}

/** What `place` says `view` was opened for: nothing unless it is the view shown. */
export function intentOf<V extends keyof Intents>(place: Place, view: V): Partial<Intents[V]> {
  return place.view === view ? place.intent : {};
}

/** Storage that may be absent (node tests, a locked-down browser). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export class Navigation {
  private current: Place;
  private readonly listeners = new Listeners<[]>();

  /** `views`: every view there is, the first one shown when none was saved (or the saved one is gone). */
  constructor(
    private readonly storage: KeyValue | null,
    private readonly views: readonly View[],
  ) {
    const saved = storage?.getItem(KEY) ?? '';
    const view = views.includes(saved) ? saved : (views[0] ?? '');
    this.current = { view, intent: {}, seq: 0 };
  }

  get = (): Place => this.current;

  subscribe = (listener: () => void): Disposer => this.listeners.add(listener);

  /**
   * Shows `view`, opened for `intent` (typed by its feature's `Intents` entry); a view that no feature
   * shows is ignored, as a malformed link is.
   */
  go<V extends keyof Intents>(view: V, intent?: Intents[V]): void;
  go(view: View): void;
  go(view: View, intent: Intent = {}): void {
    this.show(view, intent);
  }

  /** Shows `view` opened for what a followed link says (lib/follow-link.ts), whichever view it is. */
  show(view: View, intent: Intent): void {
    if (!this.views.includes(view)) return;
    this.current = { view, intent, seq: this.current.seq + 1 };
    try {
      this.storage?.setItem(KEY, view);
    } catch {
      // Storage full or refused: the view still changes, it just will not survive a reload.
    }
    this.listeners.emit();
  }
}
