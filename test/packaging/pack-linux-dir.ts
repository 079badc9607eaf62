/**
 * Runs electron-builder's Linux `dir` target on the repository as `npm run dist -- --linux dir` would,
 * with the overrides only the check needs: a stand-in Electron (scripts/stand-in-electron.mjs, whose
 * binary carries a fuse wire, so the fuses are flipped as on Electron), no native rebuild (that would
 * compile node-pty again for Electron's headers, which need a download) and output in a temporary
 * folder. Everything else, above all `files`, `asarUnpack` and `electronFuses`, is electron-builder.yml's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Arch, build, Platform, type Configuration } from 'electron-builder';

/** Where the packed app went and what it is called. */
export interface LinuxDirPack {
  /** The unpacked app folder (`linux-unpacked/` or `linux-<arch>-unpacked/`). */
  appOutDir: string;
  /** Its resources/ folder: app.asar and app.asar.unpacked. */
  resources: string;
}

/** The Electron version the app is built against: package.json's exact devDependency. */
export function pinnedElectronVersion(projectDir: string): string {
  const pkg = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  const version = pkg.devDependencies?.electron;
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`package.json devDependencies.electron must be an exact version, got ${String(version)}`);
  }
  return version;
}

/**
 * Packs the app for Linux on this machine's architecture into `outDir`. Any download electron-builder
 * attempted would go to a closed loopback port and fail the pack, so a pass also proves it fetched
 * nothing (no Electron, no app-builder tools).
 */
export async function packLinuxDir(
  projectDir: string,
  electronDist: string,
  outDir: string,
): Promise<LinuxDirPack> {
  const arch = Arch[process.arch as keyof typeof Arch];
  if (typeof arch !== 'number') throw new Error(`electron-builder has no architecture named ${process.arch}`);
  const closed = 'http://127.0.0.1:9/';
  for (const name of [
    'ELECTRON_MIRROR',
    'ELECTRON_BUILDER_BINARIES_MIRROR',
    'ELECTRON_BUILDER_BINARIES_DOWNLOAD_OVERRIDE_URL',
  ]) {
    process.env[name] = closed;
  }
  const config: Configuration = {
    electronDist,
    electronVersion: pinnedElectronVersion(projectDir),
    npmRebuild: false,
    directories: { output: outDir },
  };
  await build({ projectDir, targets: Platform.LINUX.createTarget('dir', arch), config, publish: 'never' });
  const appOutDir = join(outDir, arch === Arch.x64 ? 'linux-unpacked' : `linux-${Arch[arch]}-unpacked`);
  return { appOutDir, resources: join(appOutDir, 'resources') };
}
