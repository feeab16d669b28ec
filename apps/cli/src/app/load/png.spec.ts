import sharp from 'sharp';
import { noisePng } from './png';

describe('noisePng', () => {
  it('is a valid PNG of the asked size that sharp decodes', async () => {
    const image = noisePng(3, 16);
    expect(image.type).toBe('image/png');
    const meta = await sharp(image.bytes).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 16, height: 16 });
    const { data } = await sharp(image.bytes).raw().toBuffer({ resolveWithObject: true });
    expect(data.length).toBe(16 * 16 * 3);
  });

  it('differs by seed', () => {
    expect(noisePng(1).bytes.equals(noisePng(2).bytes)).toBe(false);
    expect(noisePng(1).bytes.equals(noisePng(1).bytes)).toBe(true);
  });
});
