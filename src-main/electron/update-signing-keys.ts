/**
 * The public halves of the keys that sign the update metadata (docs/adr/0084-signed-update-metadata.md),
 * base64 Ed25519 keys. The app installs nothing whose feed file is not signed by one of them; the
 * release workflow signs with the key in its `UPDATE_SIGNING_KEY` secret and refuses to publish when
 * that key's public half is not listed here, so no release goes out that its own apps would refuse.
 *
 * Empty until a maintainer makes the project's key (`node --import tsx scripts/sign-update-metadata.ts
 * --new-key`, docs/desktop-app.md §Updates): a build without a key refuses every update, which is the
 * safe side. Rotation lists the old and the new key side by side for a release, then drops the old.
 */
export const UPDATE_SIGNING_KEYS: readonly string[] = [];
