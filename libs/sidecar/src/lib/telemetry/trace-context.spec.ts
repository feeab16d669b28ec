import { childSpan, continueTrace, formatTraceparent, newTrace, parseTraceparent } from './trace-context';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('parseTraceparent', () => {
  it('parses a valid version-00 header', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1 });
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.flags).toBe(0);
  });

  it('accepts future versions with extra fields, ignoring them', () => {
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-whatever')?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it.each([
    ['empty', ''],
    ['undefined', undefined],
    ['uppercase hex', VALID.toUpperCase()],
    ['version ff', `ff${VALID.slice(2)}`],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['extra field on version 00', `${VALID}-extra`],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['non-hex', '00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01'],
    ['wrong separators', '00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01'],
    ['leading space', ` ${VALID}`],
  ])('rejects %s', (_name, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });
});

describe('formatTraceparent', () => {
  it('round-trips with parse', () => {
    const parsed = parseTraceparent(VALID);
    if (parsed === undefined) throw new Error('VALID did not parse');
    expect(formatTraceparent(parsed)).toBe(VALID);
  });

  it('pads the flags to two hex digits', () => {
    expect(formatTraceparent({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), flags: 0 })).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-00`);
    expect(formatTraceparent({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), flags: 0xff })).toMatch(/-ff$/);
  });
});

describe('newTrace / childSpan / continueTrace', () => {
  it('creates valid, unique ids', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const trace = newTrace();
      expect(parseTraceparent(formatTraceparent(trace))).toEqual(trace);
      seen.add(trace.traceId);
    }
    expect(seen.size).toBe(2000);
    expect(newTrace(false).flags).toBe(0);
  });

  it('keeps the trace id and flags in a child span, with a new span id', () => {
    const parent = newTrace();
    const child = childSpan(parent);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.flags).toBe(parent.flags);
    expect(child.spanId).not.toBe(parent.spanId);
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('continues a valid incoming trace and starts a new one for an invalid header', () => {
    const continued = continueTrace(VALID);
    expect(continued.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(continued.spanId).not.toBe('00f067aa0ba902b7');
    const fresh = continueTrace('garbage');
    expect(fresh.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
