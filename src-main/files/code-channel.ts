/**
 * A file offer's frames on its code's rendezvous once the PAKE succeeded (ADR 0124): the sealed
 * channel a group invitation uses too (crypto/sealed-frames.ts), under this protocol's own marker, salt
 * and nonces (protocol/file-code-frames.ts), so a frame of one never opens as the other's.
 */
import { SealedFrames, type SealedFramesSpec } from '../crypto/sealed-frames.js';
import {
  FILE_CODE_KEY_SALT,
  FILE_CODE_MARKER,
  FILE_CODE_TAG_BYTES,
  fileCodeNonce,
  MAX_FILE_CODE_FRAME_PLAIN,
  readFileCodeFrame,
  type FileCodeFrame,
  type FileCodeRole,
} from '../protocol/file-code-frames.js';

const FILE_CODE_FRAMES: SealedFramesSpec<FileCodeFrame, FileCodeRole> = {
  marker: FILE_CODE_MARKER,
  salt: FILE_CODE_KEY_SALT,
  tagBytes: FILE_CODE_TAG_BYTES,
  maxPlain: MAX_FILE_CODE_FRAME_PLAIN,
  nonce: fileCodeNonce,
  read: readFileCodeFrame,
  other: (role) => (role === 'sender' ? 'receiver' : 'sender'),
  frameName: 'a file offer frame',
  retry: 'ask the sender for a new code',
  updateWho: 'both sides',
};

/** One side's sealing and opening: its frames numbered from 0 under its key, the other's under theirs. */
export class FileCodeChannel extends SealedFrames<FileCodeFrame, FileCodeRole> {
  constructor(sessionKey: Uint8Array, self: FileCodeRole) {
    super(FILE_CODE_FRAMES, sessionKey, self);
  }
}
