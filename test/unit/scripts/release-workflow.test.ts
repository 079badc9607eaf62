/**
 * The release workflow publishes what the updater reads (docs/adr/0077-desktop-updates.md): every
 * installer, the feed files (latest*.yml, beta*.yml) with their SHA-512s and the blockmaps for
 * differential downloads, and makes a tag with a pre-release part a GitHub pre-release (the beta
 * channel), and signs every feed file before publishing it (docs/adr/0084-signed-update-metadata.md).
 * Read as YAML, as GitHub reads it; that the files exist after a pack is electron-builder's
 * part (electron-builder.yml is checked in builder-config.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

// electron-builder's YAML reader (no types of its own).
const { load } = createRequire(import.meta.url)('js-yaml') as { load: (text: string) => unknown };

interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Workflow {
  on: { push: { tags: string[] } };
  jobs: Record<string, { steps: Step[] }>;
}

const workflow = load(
  readFileSync(fileURLToPath(new URL('../../../.github/workflows/release.yml', import.meta.url)), 'utf8'),
) as Workflow;
const installers = workflow.jobs.installers!.steps;
const uploaded = () =>
  installers
    .find((s) => s.uses?.startsWith('actions/upload-artifact'))!
    .with!.path!.split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

test('the artifacts are the installers, the update feed files and the blockmaps', () => {
  assert.deepEqual(
    uploaded().filter((p) => !p.startsWith('!')),
    [
      'release/*.dmg',
      'release/*.zip',
      'release/*.exe',
      'release/*.AppImage',
      'release/*.deb',
      'release/*.yml',
      'release/*.blockmap',
    ],
  );
  // electron-builder's own debug files are not release assets.
  assert.ok(
    uploaded().includes('!release/builder-debug.yml'),
    "uploaded().includes('!release/builder-debug.yml')",
  );
});

test('the feed names the repository the release is published in, and the version is the tag', () => {
  const dist = installers.find((s) => s.run?.includes('npm run dist'))!;
  assert.match(dist.run!, /-c\.publish\.owner=\$\{\{ github\.repository_owner \}\}/);
  assert.match(dist.run!, /-c\.publish\.repo=\$\{\{ github\.event\.repository\.name \}\}/);
  assert.ok(
    installers.some(
      (s) => s.run?.includes('npm version --no-git-tag-version') && s.run.includes('GITHUB_REF_NAME'),
    ),
    "installers.some( (s) => s.run?.includes('npm version --no-git-tag-version') && s.run.includes('GITHUB_REF_NAME'), )",
  );
});

test('signing reads its secrets where they exist; none is required', () => {
  const env = installers.find((s) => s.run?.includes('npm run dist'))!.env!;
  for (const name of [
    'CSC_LINK',
    'CSC_KEY_PASSWORD',
    'WIN_CSC_LINK',
    'WIN_CSC_KEY_PASSWORD',
    'APPLE_ID',
    'APPLE_TEAM_ID',
  ])
    assert.equal(env[name], `\${{ secrets.${name} }}`, name);
});

test('a tag with a pre-release part becomes a GitHub pre-release (the beta channel)', () => {
  const publish = workflow.jobs.release!.steps.find((s) => s.run?.includes('gh release create'))!;
  assert.match(publish.run!, /case "\$GITHUB_REF_NAME" in \*-\*\) prerelease=\(--prerelease\)/);
  assert.deepEqual(workflow.on.push.tags, ['v*']);
});

test('the feed files are signed with the signing secret before the release is published, in a job that builds nothing', () => {
  const steps = workflow.jobs.release!.steps;
  const signAt = steps.findIndex((s) => s.run?.includes('scripts/sign-update-metadata.ts installers'));
  const downloadAt = steps.findIndex((s) => s.uses?.startsWith('actions/download-artifact'));
  const publishAt = steps.findIndex((s) => s.run?.includes('gh release create'));
  assert.ok(downloadAt >= 0 && signAt > downloadAt && publishAt > signAt, 'download, sign, publish');
  assert.equal(steps[signAt]!.env!.UPDATE_SIGNING_KEY, '${{ secrets.UPDATE_SIGNING_KEY }}');
  // The .sig files are published with everything else the job downloaded.
  assert.match(steps[publishAt]!.run!, /gh release create "\$GITHUB_REF_NAME" installers\/\* /);
  // The job that holds the key runs no package's install script, and the key reaches no other job.
  assert.ok(
    steps.some((s) => s.run?.trim() === 'npm ci --ignore-scripts'),
    "steps.some((s) => s.run?.trim() === 'npm ci --ignore-scripts')",
  );
  assert.ok(!steps.some((s) => s.run?.includes('npm run')), "!steps.some((s) => s.run?.includes('npm run'))");
  for (const step of workflow.jobs.installers!.steps)
    assert.ok(!JSON.stringify(step).includes('UPDATE_SIGNING_KEY'), 'the build jobs never see the key');
});
