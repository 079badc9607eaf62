/** The stand-in Electron distribution lives in scripts/ so a person can pack with it by hand too. */
export { readFuseWire, writeStandInElectron } from '../../scripts/stand-in-electron.mjs';
