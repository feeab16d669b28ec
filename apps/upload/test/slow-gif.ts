/**
 * A GIF that is cheap to build and small enough to upload, but slow to re-encode: many frames of
 * random pixels over a random 256-colour palette, written with 9-bit LZW codes and a clear code
 * every 254 pixels (no compression to speak of, so no LZW encoder is needed). The upload service
 * re-encodes GIFs with their frames, quantising each one: seconds of libvips work for 3200 frames
 * of 50×50 (≈ 9 MB, 8 megapixels), far beyond a 1 s image job time limit.
 */
export function slowGif(width = 50, height = 50, frames = 3200, seed = 1): Buffer {
  let state = seed;
  const random = (): number => (state = (state * 1103515245 + 12345) & 0x7fffffff) >> 16;
  const parts: Buffer[] = [];
  const header = Buffer.alloc(13);
  header.write('GIF89a');
  header.writeUInt16LE(width, 6);
  header.writeUInt16LE(height, 8);
  header[10] = 0xf7; // global colour table of 256 entries
  parts.push(header, Buffer.from(Array.from({ length: 768 }, () => random() & 255)));
  parts.push(Buffer.from([0x21, 0xff, 11, ...Buffer.from('NETSCAPE2.0'), 3, 1, 0, 0, 0])); // loop forever
  for (let frame = 0; frame < frames; frame++) {
    parts.push(Buffer.from([0x21, 0xf9, 4, 0x04, 2, 0, 0, 0])); // graphic control: 20 ms
    const descriptor = Buffer.alloc(10);
    descriptor[0] = 0x2c;
    descriptor.writeUInt16LE(width, 5);
    descriptor.writeUInt16LE(height, 7);
    parts.push(descriptor, Buffer.from([8]), subBlocks(frameCodes(width * height, random)));
  }
  parts.push(Buffer.from([0x3b]));
  return Buffer.concat(parts);
}

/** LZW data of `pixels` random palette indices: 9-bit codes, a clear code (256) every 254, then end (257). */
function frameCodes(pixels: number, random: () => number): Buffer {
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  const put = (code: number): void => {
    acc |= code << bits;
    bits += 9;
    while (bits >= 8) {
      bytes.push(acc & 255);
      acc >>>= 8;
      bits -= 8;
    }
  };
  for (let i = 0; i < pixels; i++) {
    if (i % 254 === 0) put(256);
    put(random() & 255);
  }
  put(257);
  if (bits > 0) bytes.push(acc & 255);
  return Buffer.from(bytes);
}

/** `data` as GIF sub-blocks (at most 255 bytes each) and the terminator. */
function subBlocks(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += 255) {
    const chunk = data.subarray(at, at + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}
