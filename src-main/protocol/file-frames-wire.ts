/**
 * Frames on a `files` stream between two nodes (docs/protocol.md "files service", ADR 0051). The node
 * sending files (the sender) opens the stream; the other (the receiver) answers. Each frame travels as
 * a u32 big-endian length and then its payload (protocol/length-prefixed.ts); every payload starts with
 * the protocol version and a type byte. Pure: encode, decode, limits.
 *
 *   sender → receiver   OFFER      the transfer's ID and its entries (split over several OFFERs when
 *                                  long: `more` is true on all but the last)
 *   receiver → sender   WANT       after the last OFFER: how many bytes of each file it holds already
 *                                  (a file not named is wanted whole; one named with its size is done)
 *   receiver → sender   REFUSE     the offer is refused (a name, space, the quota): code and reason;
 *                                  nothing of it was written
 *   sender → receiver   DATA       file index, offset, bytes: each file's bytes in order from where the
 *                                  WANT said, every file back to back (no round trip per file)
 *   sender → receiver   DIGEST     a file's SHA-256, right after its last DATA, for a file offered
 *                                  without one (v2: a big file is hashed while it is sent, ADR 0067)
 *   receiver → sender   VERIFIED   file indices whose SHA-256 matched, batched
 *   receiver → sender   FAILED     a file's bytes did not match its SHA-256 (it was thrown away)
 *   receiver → sender   COMPLETE   every entry verified and moved to the inbox: the tree hash and
 *                                  the inbox entry's ID (also the answer to an OFFER it completed before)
 *   either              CANCEL     the transfer is given up by that side, with why
 *
 * JSON carries the control frames (small, rare); DATA is binary.
 *
 * Pure (Uint8Array, no Buffer): reading every frame and writing the control frames, which the browser
 * node's receiver (src-web, ADR 0124) does too. Writing DATA and the helpers that return a Buffer are
 * the agent's (file-frames.ts, which re-exports all of this).
 */
import { z } from 'zod';
import { ClawError } from '../core/errors.js';
import { madeOnUse } from '../core/made-on-use.js';
import { CONTROL_CHARS } from '../core/names.js';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();
/** Bytes of `s` in UTF-8. */
const utf8Length = (s: string): number => utf8Encoder.encode(s).length;
/** Bytes a base64 text (checked by the regex below) decodes to, padded or not, as Buffer decodes it. */
const base64Length = (s: string): number => Math.floor((s.replace(/=+$/, '').length * 3) / 4);

/** The service name a sender opens. */
export const FILES_SERVICE = 'files';
/**
 * The version this side opens streams with. 2: a file entry may come without its SHA-256, which a
 * DIGEST frame then carries after the file's bytes (ADR 0067). 3: an entry may carry its modification
 * time (`mtime`) and, for a name that is no UTF-8, its bytes (`raw`, `rawTarget`).
 */
export const FILES_PROTOCOL_VERSION = 3;
/**
 * The versions a receiver takes; it answers in the version the stream was opened with. A sender whose
 * peer refuses 3 opens again with 2 (no times; a name that is no UTF-8 cannot be sent then).
 */
export const FILES_VERSIONS = [2, 3] as const;
export type FilesVersion = (typeof FILES_VERSIONS)[number];
/** Whether `v` is a version this side speaks. */
export const spokenFilesVersion = (v: unknown): v is FilesVersion => v === 2 || v === 3;
const spoken = spokenFilesVersion;
/** The mux OPEN arguments of a `files` stream. */
export const FILES_OPEN_ARGS = { v: FILES_PROTOCOL_VERSION } as const;

/** Largest DATA payload a sender writes, in bytes (256 KiB): big enough that headers cost nothing. */
export const MAX_DATA_BYTES = 256 * 1024;
/** Largest frame payload either side accepts, in bytes (4 MiB): a long OFFER part or WANT. */
export const MAX_FILE_FRAME_BYTES = 4 * 1024 * 1024;
/** Budget a sender keeps each OFFER's JSON within, in bytes (1 MiB), well under MAX_FILE_FRAME_BYTES. */
export const OFFER_PART_BYTES = 1024 * 1024;
/** Most entries (files, folders, links) in one transfer. */
export const MAX_ENTRIES = 200_000;
/**
 * Most bytes of JSON an offer's entries take, all its OFFER frames together (32 MiB: 200,000 entries
 * with paths of ~100 bytes). The receiver holds an offer in memory while the transfer runs.
 */
export const MAX_OFFER_BYTES = 32 * 1024 * 1024;
/** Longest entry path or link target, in UTF-8 bytes (Linux PATH_MAX). */
export const MAX_PATH_BYTES = 4096;
/** Largest transfer, in bytes (1 PiB): sizes stay exact in a JS number. */
export const MAX_TRANSFER_BYTES = 2 ** 50;
/** Most indices in one VERIFIED frame. */
export const MAX_INDICES_PER_FRAME = 65_536;
/** Longest reason in REFUSE, FAILED and CANCEL, in UTF-8 bytes. */
export const MAX_FILE_REASON_BYTES = 512;

/** Type byte of each frame. Append only. */
export const FileFrameType = {
  OFFER: 1,
  WANT: 2,
  REFUSE: 3,
  DATA: 4,
  VERIFIED: 5,
  FAILED: 6,
  COMPLETE: 7,
  CANCEL: 8,
  DIGEST: 9,
} as const;

/** Why a receiver refuses an offer. */
export const FILE_REFUSAL_CODES = ['BAD_NAME', 'NO_SPACE', 'QUOTA', 'BAD_OFFER', 'BUSY'] as const;
export type FileRefusalCode = (typeof FILE_REFUSAL_CODES)[number];

/**
 * One entry of a transfer as the sender offers it: a path relative to the transfer, `/`-separated. A
 * file without `sha256` is hashed while it is sent: its DIGEST follows its last DATA.
 */
export type OfferEntry =
  | { path: string; kind: 'file'; size: number; exec: boolean; sha256?: string; mtime?: number; raw?: string }
  | { path: string; kind: 'dir'; mtime?: number; raw?: string }
  | { path: string; kind: 'link'; target: string; raw?: string; rawTarget?: string };

export type FileFrame =
  | { type: 'offer'; id: string; entries: OfferEntry[]; more: boolean }
  | { type: 'want'; have: Array<[index: number, bytes: number]> }
  | { type: 'refuse'; code: FileRefusalCode; reason: string }
  | { type: 'data'; index: number; offset: number; bytes: Uint8Array }
  | { type: 'verified'; indices: number[] }
  | { type: 'failed'; index: number; reason: string }
  | { type: 'complete'; treeHash: string; received: string }
  | { type: 'cancel'; reason: string }
  | { type: 'digest'; index: number; sha256: string };

// The schemas of the control frames are made on use (core/made-on-use.ts, ADR 0073), one per frame
// type: an agent loads this module with every start and may send no file all day.
const pathText = () =>
  z
    .string()
    .min(1)
    .refine((s) => utf8Length(s) <= MAX_PATH_BYTES, `longer than ${MAX_PATH_BYTES} bytes`);
const hex64 = () => z.string().regex(/^[0-9a-f]{64}$/);
/** A name's bytes in base64, when they are no UTF-8 (`path` then shows them with U+FFFD). */
const rawBytes = () =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/)
    .max(Math.ceil(MAX_PATH_BYTES / 3) * 4)
    .refine((s) => s.length > 0 && base64Length(s) <= MAX_PATH_BYTES, 'bad raw name');
/** Modification time in ms since the epoch (before it too). */
const mtime = () => z.number().int().min(-MAX_TRANSFER_BYTES).max(MAX_TRANSFER_BYTES);
const reason = () =>
  z
    .string()
    .refine((s) => utf8Length(s) <= MAX_FILE_REASON_BYTES, 'reason too long')
    .refine((s) => !CONTROL_CHARS.test(s), 'reason has control characters');
const count = () => z.number().int().min(0).max(MAX_TRANSFER_BYTES);
const index = () =>
  z
    .number()
    .int()
    .min(0)
    .max(MAX_ENTRIES - 1);

const entrySchema = () =>
  z.discriminatedUnion('kind', [
    z
      .object({
        path: pathText(),
        kind: z.literal('file'),
        size: count(),
        exec: z.boolean(),
        sha256: hex64().optional(),
        mtime: mtime().optional(),
        raw: rawBytes().optional(),
      })
      .strict(),
    z
      .object({
        path: pathText(),
        kind: z.literal('dir'),
        mtime: mtime().optional(),
        raw: rawBytes().optional(),
      })
      .strict(),
    z
      .object({
        path: pathText(),
        kind: z.literal('link'),
        target: pathText(),
        raw: rawBytes().optional(),
        rawTarget: rawBytes().optional(),
      })
      .strict(),
  ]);

/** A transfer ID: 32 lowercase hex characters (128 random bits, or a resumed transfer's). */
export const TRANSFER_ID = /^[0-9a-f]{32}$/;

const jsonSchemas = {
  [FileFrameType.OFFER]: madeOnUse(() =>
    z
      .object({
        id: z.string().regex(TRANSFER_ID),
        entries: z.array(entrySchema()).max(MAX_ENTRIES),
        more: z.boolean(),
      })
      .strict(),
  ),
  [FileFrameType.WANT]: madeOnUse(() =>
    z.object({ have: z.array(z.tuple([index(), count()])).max(MAX_ENTRIES) }).strict(),
  ),
  [FileFrameType.REFUSE]: madeOnUse(() =>
    z.object({ code: z.enum(FILE_REFUSAL_CODES), reason: reason() }).strict(),
  ),
  [FileFrameType.VERIFIED]: madeOnUse(() =>
    z.object({ indices: z.array(index()).min(1).max(MAX_INDICES_PER_FRAME) }).strict(),
  ),
  [FileFrameType.FAILED]: madeOnUse(() => z.object({ index: index(), reason: reason() }).strict()),
  [FileFrameType.COMPLETE]: madeOnUse(() =>
    z.object({ treeHash: hex64(), received: z.string().regex(/^[0-9a-z-]{1,64}$/) }).strict(),
  ),
  [FileFrameType.CANCEL]: madeOnUse(() => z.object({ reason: reason() }).strict()),
  [FileFrameType.DIGEST]: madeOnUse(() => z.object({ index: index(), sha256: hex64() }).strict()),
} as const;

const TYPE_OF: Record<Exclude<FileFrame['type'], 'data'>, keyof typeof jsonSchemas> = {
  offer: FileFrameType.OFFER,
  want: FileFrameType.WANT,
  refuse: FileFrameType.REFUSE,
  verified: FileFrameType.VERIFIED,
  failed: FileFrameType.FAILED,
  complete: FileFrameType.COMPLETE,
  cancel: FileFrameType.CANCEL,
  digest: FileFrameType.DIGEST,
};
const NAME_OF = new Map<number, Exclude<FileFrame['type'], 'data'>>(
  Object.entries(TYPE_OF).map(([name, type]) => [type, name as Exclude<FileFrame['type'], 'data'>]),
);

/** Bytes before a DATA frame's file bytes: version, type, index (u32), offset (u64). */
export const DATA_HEADER_BYTES = 2 + 4 + 8;

/** Bytes before a DATA frame's file bytes on the wire: the length prefix (u32) and the header. */
export const DATA_WIRE_HEADER_BYTES = 4 + DATA_HEADER_BYTES;

/**
 * A control frame's payload (every frame but DATA), as a Uint8Array: what a receiver sends, in the
 * agent and in the browser node alike.
 * @throws ClawError('BAD_FRAME') when it is larger than a frame may be
 */
export function encodeFileControlFrame(
  frame: Exclude<FileFrame, { type: 'data' }>,
  version: FilesVersion = FILES_PROTOCOL_VERSION,
): Uint8Array {
  const { type, ...body } = frame;
  const json = utf8Encoder.encode(JSON.stringify(body));
  if (json.length + 2 > MAX_FILE_FRAME_BYTES) {
    throw new ClawError(
      'BAD_FRAME',
      `a ${type} frame of ${json.length} bytes exceeds ${MAX_FILE_FRAME_BYTES}`,
    );
  }
  const out = new Uint8Array(2 + json.length);
  out[0] = version;
  out[1] = TYPE_OF[type];
  out.set(json, 2);
  return out;
}

/**
 * One payload as a frame. DATA's bytes are a view of `payload` (copy them to keep them).
 * @throws ClawError('BAD_FRAME') saying what is wrong; never anything else
 */
export function decodeFileFrame(payload: Uint8Array): FileFrame {
  if (payload.length < 2) throw new ClawError('BAD_FRAME', 'files frame shorter than its header');
  if (!spoken(payload[0])) {
    throw new ClawError(
      'BAD_FRAME',
      `files frame of version ${payload[0]}, this node speaks ${FILES_VERSIONS.join(' and ')}`,
    );
  }
  const type = payload[1]!;
  if (type === FileFrameType.DATA) {
    if (payload.length < DATA_HEADER_BYTES)
      throw new ClawError('BAD_FRAME', 'DATA frame shorter than its header');
    const bytes = payload.subarray(DATA_HEADER_BYTES);
    if (bytes.length > MAX_DATA_BYTES)
      throw new ClawError('BAD_FRAME', `DATA of ${bytes.length} bytes exceeds ${MAX_DATA_BYTES}`);
    const header = new DataView(payload.buffer, payload.byteOffset, DATA_HEADER_BYTES);
    const idx = header.getUint32(2);
    const offset = header.getBigUint64(6);
    if (idx >= MAX_ENTRIES)
      throw new ClawError('BAD_FRAME', `DATA for entry ${idx}, past the most a transfer has`);
    if (offset > BigInt(MAX_TRANSFER_BYTES))
      throw new ClawError('BAD_FRAME', 'DATA offset past the largest transfer');
    return { type: 'data', index: idx, offset: Number(offset), bytes };
  }
  const name = NAME_OF.get(type);
  if (!name) throw new ClawError('BAD_FRAME', `unknown files frame type ${type}`);
  let json: unknown;
  try {
    json = JSON.parse(utf8Decoder.decode(payload.subarray(2)));
  } catch {
    throw new ClawError('BAD_FRAME', `${name} frame is not JSON`);
  }
  const parsed = jsonSchemas[TYPE_OF[name]]().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ClawError(
      'BAD_FRAME',
      `${name} frame: ${issue?.path.join('.') || 'body'} ${issue?.message ?? 'invalid'}`,
    );
  }
  return { type: name, ...parsed.data } as FileFrame;
}

export function filesOpenArgsProblem(args: unknown): string | undefined {
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    return 'files stream arguments must be an object';
  if (!spoken((args as { v?: unknown }).v) || Object.keys(args).length !== 1) {
    return `files stream arguments must be {"v":${FILES_VERSIONS.join('} or {"v":')}}`;
  }
  return undefined;
}

/** The version `args` (which filesOpenArgsProblem passed) open a stream with. */
export function filesOpenVersion(args: unknown): FilesVersion {
  const v = (args as { v?: unknown }).v;
  return spoken(v) ? v : FILES_PROTOCOL_VERSION;
}

/** The bytes of an entry's path: `raw` when the name is no UTF-8, else the path's UTF-8. */
