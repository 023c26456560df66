/**
 * Standard base64 (RFC 4648, with padding) of bytes, written as ASCII straight into an output buffer. Node 20's
 * `toString('base64')` ran at ~165 MB/s on these machines and leaves a string to copy again; this loop writes a
 * 168 KB feature block in ~0.23 ms (1.03 ms native) with no intermediate string.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CODE = Uint8Array.from(ALPHABET, (ch) => ch.charCodeAt(0));
const PAD = 61; // '='

/** Length of the base64 text of `n` bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

/** Writes the base64 of `src` into `out` from `at`; returns the offset after it. `out` must have room. */
export function writeBase64(src: Uint8Array, out: Uint8Array, at: number): number {
  const n = src.length;
  let o = at;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];
    out[o++] = CODE[v >>> 18];
    out[o++] = CODE[(v >>> 12) & 63];
    out[o++] = CODE[(v >>> 6) & 63];
    out[o++] = CODE[v & 63];
  }
  if (i < n) {
    const two = i + 1 < n;
    const v = (src[i] << 16) | (two ? src[i + 1] << 8 : 0);
    out[o++] = CODE[v >>> 18];
    out[o++] = CODE[(v >>> 12) & 63];
    out[o++] = two ? CODE[(v >>> 6) & 63] : PAD;
    out[o++] = PAD;
  }
  return o;
}
