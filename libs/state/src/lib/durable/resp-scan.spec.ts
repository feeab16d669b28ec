import { encodeCommand, INCOMPLETE, isErrorReply, isRespProtocolError, lineText, mapFields, mapListFields, replyEnd, RespProtocolError } from './resp-scan';
import { isStateError } from '../state.error';

/** RESP2 bytes of a bulk string, or of an array of bulk strings (nested arrays for string[][]). */
function bulk(value: string): string {
  return `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
}
function array(items: ReadonlyArray<string | string[]>): string {
  return `*${items.length}\r\n${items.map((item) => (typeof item === 'string' ? bulk(item) : array(item))).join('')}`;
}

describe('resp-scan (the sentinel answer read from bytes)', () => {
  const master = array(['name', 'failsoft', 'ip', '127.0.0.1', 'runid', 'a'.repeat(40), 'flags', 'master', 'quorum', '2']);
  const replicas = array([
    ['name', '127.0.0.1:7001', 'ip', '127.0.0.1', 'port', '7001', 'flags', 'slave', 'slave-priority', '100'],
    ['flags', 'slave,s_down', 'ip', '127.0.0.1', 'port', '7002', 'slave-priority', '0', 'runid', 'é-utf8'],
  ]);

  it('finds where each reply ends, and says INCOMPLETE at every cut inside one', () => {
    const bytes = Buffer.from(master + replicas + '+OK\r\n' + ':12\r\n' + '$-1\r\n' + '*-1\r\n' + '-ERR no\r\n');
    const ends: number[] = [];
    for (let at = 0; at < bytes.length; at = ends[ends.length - 1]) ends.push(replyEnd(bytes, at));
    expect(ends).toHaveLength(7);
    expect(ends[1]).toBe(Buffer.byteLength(master + replicas));
    expect(ends[6]).toBe(bytes.length);
    const two = Buffer.from(master + replicas);
    for (let cut = 0; cut < ends[1]; cut++) {
      const first = replyEnd(two.subarray(0, cut), 0);
      if (cut < ends[0]) expect(first).toBe(INCOMPLETE);
      else expect(replyEnd(two.subarray(0, cut), ends[0])).toBe(INCOMPLETE);
    }
  });

  it('decodes only the fields asked for, in the order asked, with "" for a missing one', () => {
    const bytes = Buffer.from(master + replicas);
    const { values, next } = mapFields(bytes, 0, ['runid', 'flags', 'absent']);
    expect(values).toEqual(['a'.repeat(40), 'master', '']);
    expect(next).toBe(Buffer.byteLength(master));
    expect(mapListFields(bytes, next, ['flags', 'slave-priority', 'ip', 'port', 'runid'])).toEqual([
      ['slave', '100', '127.0.0.1', '7001', ''],
      ['slave,s_down', '0', '127.0.0.1', '7002', 'é-utf8'],
    ]);
  });

  it('tells error replies apart and reads their text; a non-array reply has no fields', () => {
    const bytes = Buffer.from('-ERR No such master with that name\r\n');
    expect(isErrorReply(bytes, 0)).toBe(true);
    expect(lineText(bytes, 0)).toBe('ERR No such master with that name');
    expect(mapFields(bytes, 0, ['runid']).values).toEqual(['']);
    expect(mapListFields(bytes, 0, ['ip'])).toEqual([]);
    expect(isErrorReply(Buffer.from(master), 0)).toBe(false);
  });

  it('refuses bytes that are not RESP with a protocol error, not a wrong answer', () => {
    expect(() => replyEnd(Buffer.from('HTTP/1.1 400\r\n'), 0)).toThrow(RespProtocolError);
    expect(() => replyEnd(Buffer.from('$x1\r\nabc\r\n'), 0)).toThrow(/expected a number at byte 1/);
    expect(() => replyEnd(Buffer.from('*-\r\n'), 0)).toThrow(RespProtocolError);
    let error: unknown;
    try {
      replyEnd(Buffer.from('?x\r\n'), 0);
    } catch (e) {
      error = e;
    }
    expect(isRespProtocolError(error) && isStateError(error, 'RESP_PROTOCOL')).toBe(true);
    expect((error as Error).message).toBe('expected a RESP reply at byte 0, found byte 63: the connection is out of step with the server; drop it and reconnect');
  });

  it('encodes a command as an array of bulk strings, multi-byte characters counted in bytes', () => {
    expect(encodeCommand(['SENTINEL', 'MASTER', 'maître']).toString()).toBe('*3\r\n$8\r\nSENTINEL\r\n$6\r\nMASTER\r\n$7\r\nmaître\r\n');
  });
});
