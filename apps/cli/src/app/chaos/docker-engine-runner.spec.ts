import { demultiplex, engineApiRunner } from './docker-engine-runner';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('demultiplex (the Engine API exec stream)', () => {
  it('splits stdout and stderr frames, in order, and ignores a cut-off tail', () => {
    const raw = Buffer.concat([frame(1, 'PONG\n'), frame(2, 'warning\n'), frame(1, 'more'), Buffer.from([1, 0, 0])]);
    expect(demultiplex(raw)).toEqual({ stdout: 'PONG\nmore', stderr: 'warning\n' });
    expect(demultiplex(Buffer.alloc(0))).toEqual({ stdout: '', stderr: '' });
  });
});

describe('engineApiRunner', () => {
  it('refuses commands it does not run, and says when the socket is not there', async () => {
    const run = engineApiRunner({ project: 'p', socketPath: '/nonexistent/docker.sock', timeoutMs: 2000 });
    await expect(run(['version'])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(run(['compose', 'ps', '--all', '--format', 'json'])).rejects.toThrow(/Docker Engine API on \/nonexistent\/docker.sock did not answer .*is the socket mounted/);
  });
});
