/**
 * How this build can take an update (update-policy.ts UpdateSupport), from what main knows about the
 * install: packaged or not, the platform, the Linux package type electron-builder records beside the
 * app (`resources/package-type`: deb), the AppImage's path (`APPIMAGE`), and whether the Windows build
 * is signed (app-update.yml names a `publisherName` only then). Pure, so every case is tested.
 */
import type { UpdateSupport } from './update-policy.js';

/**
 * Where people download a release by hand (the deb package, a build that cannot verify an update):
 * the feed folder an administrator set, else the GitHub repository app-update.yml names (the release
 * workflow passes it), else null.
 */
export function releasesLink(updateConfig: string | null, feedUrl: string | null): string | null {
  if (feedUrl) return feedUrl;
  const field = (name: string) =>
    new RegExp(`^${name}:\\s*([\\w.-]+)\\s*$`, 'm').exec(updateConfig ?? '')?.[1];
  const owner = field('owner');
  const repo = field('repo');
  if (owner && repo) return `https://github.com/${owner}/${repo}/releases/latest`;
  // A generic feed (`provider: generic`): its folder holds the installers.
  const url = /^url:\s*(https?:\/\/\S+)\s*$/m.exec(updateConfig ?? '')?.[1];
  return url ?? null;
}

export interface InstallFacts {
  platform: NodeJS.Platform;
  /** `app.isPackaged`. */
  packaged: boolean;
  /** `process.env.APPIMAGE`: set by the AppImage runtime to the file being run. */
  appImage?: string | undefined;
  /** The content of `resources/package-type` (electron-builder writes `deb`, `rpm`…), or null. */
  packageType: string | null;
  /** The text of `resources/app-update.yml`, or null when the build has none. */
  updateConfig: string | null;
  /** A feed URL an administrator set (update-fleet.ts), or null. */
  feedUrl?: string | null;
}

export function updateSupport(facts: InstallFacts): UpdateSupport {
  const link = releasesLink(facts.updateConfig, facts.feedUrl ?? null);
  if (!facts.packaged)
    return {
      kind: 'none',
      why: 'this copy runs from its sources (npm start), so it is updated with git, not a feed',
    };
  if (facts.updateConfig === null)
    return { kind: 'none', why: 'this build was packed without an update feed (no app-update.yml)' };
  switch (facts.platform) {
    case 'darwin':
      // Squirrel.Mac installs only an update signed like the running app; an unsigned build's
      // install fails and says so (update-policy.ts failureKind 'signature').
      return { kind: 'in-place' };
    case 'win32':
      // electron-updater checks the installer's publisher only when the build names one.
      if (/^publisherName:/m.test(facts.updateConfig)) return { kind: 'in-place' };
      return link === null
        ? { kind: 'none', why: 'this build is not code-signed and names no download page' }
        : {
            kind: 'notify',
            why: "this build is not code-signed, so an update's signature cannot be checked against it",
            link,
          };
    case 'linux':
      if (facts.packageType?.trim() === 'deb')
        return link === null
          ? { kind: 'none', why: 'the deb package is updated by its package manager' }
          : { kind: 'notify', why: 'the deb package is updated by its package manager', link };
      if (facts.appImage) return { kind: 'in-place' };
      return { kind: 'none', why: 'this Linux build is neither the AppImage nor the deb package' };
    default:
      return { kind: 'none', why: `updates are not built for ${facts.platform}` };
  }
}
