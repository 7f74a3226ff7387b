/**
 * UTF-8 for pcapng option strings. TextEncoder/TextDecoder are not part of the
 * ES2022 core that shared/ is limited to, so the few lines live here.
 */

const REPLACEMENT = 0xfffd;

/** Decodes bytes[start, end); invalid sequences become U+FFFD, never an exception. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  const codePoints: number[] = [];
  let i = start;
  while (i < end) {
    const lead = bytes[i];
    if (lead < 0x80) {
      codePoints.push(lead);
      i += 1;
      continue;
    }
    let needed: number;
    let codePoint: number;
    let minimum: number;
    if (lead >= 0xc2 && lead <= 0xdf) {
      needed = 1; codePoint = lead & 0x1f; minimum = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      needed = 2; codePoint = lead & 0x0f; minimum = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      needed = 3; codePoint = lead & 0x07; minimum = 0x10000;
    } else {
      codePoints.push(REPLACEMENT);
      i += 1;
      continue;
    }
    let j = 1;
    for (; j <= needed; j++) {
      const next = i + j < end ? bytes[i + j] : -1;
      if ((next & 0xc0) !== 0x80) break;
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    const valid = j > needed && codePoint >= minimum && codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
    codePoints.push(valid ? codePoint : REPLACEMENT);
    i += valid ? needed + 1 : Math.max(1, j);
  }
  let text = '';
  // Chunked so a long option cannot overflow the argument limit.
  for (let k = 0; k < codePoints.length; k += 4096) {
    text += String.fromCodePoint(...codePoints.slice(k, k + 4096));
  }
  return text;
}

export function encodeUtf8(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? REPLACEMENT;
    if (codePoint < 0x80) {
      bytes.push(codePoint);
    } else if (codePoint < 0x800) {
      bytes.push(0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f));
    } else if (codePoint < 0x10000) {
      // Lone surrogates are not encodable; write U+FFFD instead.
      const safe = codePoint >= 0xd800 && codePoint <= 0xdfff ? REPLACEMENT : codePoint;
      bytes.push(0xe0 | (safe >> 12), 0x80 | ((safe >> 6) & 0x3f), 0x80 | (safe & 0x3f));
    } else {
      bytes.push(0xf0 | (codePoint >> 18), 0x80 | ((codePoint >> 12) & 0x3f), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f));
    }
  }
  return Uint8Array.from(bytes);
}
