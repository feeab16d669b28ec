import { CAPTION_MAX_LENGTH, normalizeCaption, parseVariant, validateAuthor, validateIdempotencyKey, validatePostId } from './post-request.validator';
import { isUploadRequestError, type UploadRequestErrorCode } from './upload.errors';

/** Runs `fn` expecting an UploadRequestError of `code`; returns its message. */
function refusal(fn: () => unknown, code: UploadRequestErrorCode): string {
  try {
    fn();
  } catch (error) {
    if (isUploadRequestError(error, code)) return error.message;
    throw error;
  }
  throw new Error(`expected a ${code} refusal, but the value was accepted`);
}

describe('validateAuthor', () => {
  it.each(['alice', 'u_42', 'Bob.Smith-2', 'a'.repeat(40)])('accepts %j', (author) => {
    expect(validateAuthor(author)).toBe(author);
  });

  it.each(['', 'a'.repeat(41), 'al ice', 'a:b', '../x', '.hidden', 'ali/ce', 'é', '-x'])('refuses %j', (author) => {
    expect(refusal(() => validateAuthor(author), 'BAD_AUTHOR')).toMatch(/^author (is required|must be a user id)/);
  });
});

describe('normalizeCaption', () => {
  it('trims, applies NFC and normalises line breaks, keeping them', () => {
    expect(normalizeCaption('  Sunset\r\nat the sea\rtoday  ')).toBe('Sunset\nat the sea\ntoday');
    expect(normalizeCaption('Cafe\u0301')).toBe('Café');
    expect(normalizeCaption('')).toBe('');
    expect(normalizeCaption('   ')).toBe('');
  });

  it('counts characters, not UTF-16 units, against the cap', () => {
    expect(normalizeCaption('😀'.repeat(CAPTION_MAX_LENGTH))).toHaveLength(CAPTION_MAX_LENGTH * 2);
    expect(refusal(() => normalizeCaption('x'.repeat(CAPTION_MAX_LENGTH + 1)), 'BAD_CAPTION')).toBe(
      `caption is ${CAPTION_MAX_LENGTH + 1} characters long, over the ${CAPTION_MAX_LENGTH}-character limit`,
    );
  });

  it.each([
    ['a\u0000b', 'U+0000'],
    ['tab\there', 'U+0009'],
    ['bell\u0007', 'U+0007'],
    ['esc\u001b[31m', 'U+001B'],
    ['del\u007f', 'U+007F'],
    ['c1\u0085', 'U+0085'],
  ])('refuses control characters in %j', (caption, code) => {
    expect(refusal(() => normalizeCaption(caption), 'BAD_CAPTION')).toContain(code);
  });
});

describe('validateIdempotencyKey', () => {
  it('treats empty as no key and accepts up to 200 printable characters', () => {
    expect(validateIdempotencyKey('')).toBeUndefined();
    expect(validateIdempotencyKey(undefined)).toBeUndefined();
    expect(validateIdempotencyKey('k-1')).toBe('k-1');
    expect(validateIdempotencyKey('~'.repeat(200))).toBe('~'.repeat(200));
  });

  it.each(['x'.repeat(201), 'has space', 'tab\tkey', 'ключ'])('refuses %j', (key) => {
    expect(refusal(() => validateIdempotencyKey(key), 'BAD_IDEMPOTENCY_KEY')).toMatch(/^idempotency_key must be 1-200 printable ASCII characters without spaces/);
  });
});

describe('validatePostId', () => {
  it('accepts exactly p_ + 16 base32 characters', () => {
    expect(validatePostId('p_abcdefgh234567ab')).toBe('p_abcdefgh234567ab');
  });

  it.each([
    '',
    '../p_abcdefgh234567ab',
    '..%2fp_abcdefgh234567ab',
    '%2e%2e',
    'p_abcdefgh/234567ab',
    'p_abcdefgh\\234567a',
    'p_abcdefgh234567ab/../x',
    'p_abcdefgh234567ab ',
    'p_abcdefgh234567a*',
    'p_abcdefgh234567a8',
    'P_ABCDEFGH234567AB',
    `p_${'a'.repeat(5000)}`,
  ])('refuses %j', (id) => {
    const message = refusal(() => validatePostId(id), 'BAD_POST_ID');
    expect(message).toMatch(/^post_id (is required|must be "p_" followed by 16 characters a-z or 2-7)/);
    expect(message.length).toBeLessThan(200); // an overlong id is not echoed back whole
  });
});

describe('parseVariant', () => {
  it('maps the enum names (unset = original)', () => {
    expect(parseVariant('ORIGINAL')).toBe('original');
    expect(parseVariant(undefined)).toBe('original');
    expect(parseVariant('THUMBNAIL')).toBe('thumbnail');
  });

  it('refuses unknown values', () => {
    expect(refusal(() => parseVariant(7), 'BAD_VARIANT')).toBe('variant must be ORIGINAL or THUMBNAIL; got "7"');
    expect(refusal(() => parseVariant('LARGE'), 'BAD_VARIANT')).toContain('"LARGE"');
  });
});
