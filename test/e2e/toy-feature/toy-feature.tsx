/**
 * A feature that exists only in this test (feature-registry.test.ts): a view, a settings section, a
 * permission word, a peer card action, a link with a parameter (`#toy?thing=<name>`), what its view is
 * opened for, and a service of its own — registered by the one line main.tsx adds to the list.
 */
import { useSyncExternalStore } from 'react';
import { useIntent, useService } from '../../../src-renderer/api/hooks.js';
import { Listeners } from '../../../src-renderer/api/transport.js';
import { explained } from '../../../src-renderer/features/permission-words.js';
import type { Feature } from '../../../src-renderer/features/registry.js';
import { serviceKey } from '../../../src-renderer/lib/feature-services.js';
import type { FeatureLink, IntentOf } from '../../../src-renderer/lib/navigation.js';
import { TOY_WORDS } from '../../fixtures/toy-domain/toy-words.js';

declare module '../../../src-renderer/lib/navigation.js' {
  interface Intents {
    toy: {
      /** The thing the view was opened to play with. */
      thing?: string;
    };
  }
}

/** The toys played with in this window: the toy's own service, made on first use. */
class ToyBox {
  private things: readonly string[] = [];
  private readonly listeners = new Listeners<[]>();
  get = (): readonly string[] => this.things;
  subscribe = (listener: () => void) => this.listeners.add(listener);
  add(thing: string): void {
    this.things = [...this.things, thing];
    this.listeners.emit();
  }
}

const TOY_BOX = serviceKey('toy.box', () => new ToyBox());

const TOY_LINKS: readonly FeatureLink<'toy'>[] = [
  {
    view: 'toy',
    route: 'toy',
    intent: (param) => {
      const thing = param('thing');
      return thing ? { thing } : {};
    },
  },
];

function ToyView() {
  const { thing } = useIntent('toy');
  const box = useService(TOY_BOX);
  const things = useSyncExternalStore(box.subscribe, box.get);
  return (
    <>
      <header className="view-header">
        <h1>Toy things</h1>
      </header>
      {thing ? <p>Opened to play with {thing}</p> : null}
      <p>In the box: {things.length > 0 ? things.join(', ') : 'nothing'}</p>
    </>
  );
}

function ToySection() {
  return (
    <section className="card" aria-labelledby="set-toy">
      <h2 id="set-toy">Toy settings</h2>
    </section>
  );
}

export const toyFeature: Feature = {
  id: 'toy',
  label: 'Toy',
  View: ToyView,
  useCount: () => ({ count: 2, counted: 'toys' }),
  SettingsSection: ToySection,
  // The toy domain's word (its default and order declared once, in its folder), worded for the window.
  permissions: explained(TOY_WORDS, { toy: { label: 'Play with toys here', refused: 'toys' } }),
  links: TOY_LINKS,
  // A link's thing goes in the box once, as the link is followed: a re-render adds nothing.
  follow: ({ thing }: IntentOf<'toy'>, { get }) => {
    if (thing) get(TOY_BOX).add(thing);
    return thing ? { thing } : {};
  },
  peerActions: [
    {
      order: 15,
      text: 'Play…',
      name: (peer) => `Play… with ${peer.name}`,
      permission: 'toy',
      run: ({ services }) => services.nav.go('toy'),
    },
  ],
};
