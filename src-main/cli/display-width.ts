/**
 * How many terminal columns text takes, so table columns line up with names in any script: a CJK
 * character takes two, a letter with a combining accent one, a zero-width character none. The East
 * Asian Width table comes from get-east-asian-width (Unicode's data); grapheme clusters from Intl.
 */
import { eastAsianWidth } from 'get-east-asian-width';

/**
 * Made on first need: creating one loads ICU's segmentation data, too much for every command
 * (docs/design/loading-on-demand.md).
 */
let segmenter: Intl.Segmenter | undefined;
/** Marks, format characters (zero-width joiners, direction marks) and controls: no column. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;
/** A cluster drawn as an emoji picture: presentation selector, ZWJ sequence, or a flag. */
const EMOJI_SEQUENCE = /\uFE0F|\u200D|\p{Regional_Indicator}{2}/u;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  segmenter ??= new Intl.Segmenter();
  for (const { segment } of segmenter.segment(text)) {
    if (ZERO_WIDTH.test(segment)) continue;
    width += EMOJI_SEQUENCE.test(segment) ? 2 : eastAsianWidth(segment.codePointAt(0)!);
  }
  return width;
}

/** `text` padded with spaces to `columns` columns. */
export function padToWidth(text: string, columns: number): string {
  return text + ' '.repeat(Math.max(0, columns - displayWidth(text)));
}
