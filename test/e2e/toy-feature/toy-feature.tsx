/**
 * A feature that exists only in this test (feature-registry.test.ts): a view, a settings section, a
 * permission word and a peer card action, registered by the one line main.tsx adds to the list.
 */
import type { Feature } from '../../../src-renderer/features/registry.js';

function ToyView() {
  return (
    <header className="view-header">
      <h1>Toy things</h1>
    </header>
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
  permissions: [{ word: 'toy', label: 'Play with toys here', refused: 'toys', byDefault: false, order: 7 }],
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
