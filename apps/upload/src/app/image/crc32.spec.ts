import { crc32 } from './crc32';

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(Buffer.from('IEND'))).toBe(0xae426082); // the CRC every PNG ends with
  });
});
