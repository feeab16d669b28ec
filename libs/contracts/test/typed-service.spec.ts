import { join } from 'node:path';
import ts from 'typescript';

// generous: building a TypeScript program over the contracts takes a few seconds on a busy machine
jest.setTimeout(60_000);

const LIB = join(__dirname, '..', 'src', 'index.ts').replace(/\\/g, '/');

/** The TypeScript errors of `code` (a module importing the contracts as `c`), one message per error. */
function compileErrors(code: string): string[] {
  const file = join(__dirname, '__typed-service-check.ts');
  const source = `import type * as c from '${LIB.replace(/\.ts$/, '')}';\n${code}\n`;
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) => (name === file ? ts.createSourceFile(name, source, version) : read(name, version));
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** The sidecar's TypedClient shape, restated so this lib's test does not import the sidecar. */
const TYPED_CLIENT = `type Typed<M extends Record<string, [unknown, unknown]>> = { readonly [K in keyof M]: (request: M[K][0]) => Promise<M[K][1]> };`;

describe('typed views of the generated services', () => {
  it('a client call with the right method and message compiles, and its answer is the output type', () => {
    const errors = compileErrors(`${TYPED_CLIENT}
declare const likes: Typed<c.LikesMethods>;
export async function f(): Promise<string> {
  const reply = await likes.Counts({ postIds: ['p1'], viewerId: 'u1' });
  const liked: c.LikeResponseOutput = await likes.Like({ userId: 'u', postId: 'p' });
  return reply.counts[0].postId + String(liked.liked);
}`);
    expect(errors).toEqual([]);
  });

  it('a wrong method name or a wrong message is a compile error', () => {
    const errors = compileErrors(`${TYPED_CLIENT}
declare const likes: Typed<c.LikesMethods>;
declare const upload: Typed<c.UploadMethods>;
void likes.Lke({ userId: 'u', postId: 'p' });
void likes.Counts({ userId: 'u' });
void upload.GetPost({ postIds: ['p'] });`);
    expect(errors).toEqual([
      expect.stringContaining("Property 'Lke' does not exist"),
      expect.stringContaining("'userId' does not exist in type 'CountsRequest'"),
      expect.stringContaining("'postIds' does not exist in type 'GetPostRequest'"),
    ]);
  });

  it('a handler class must implement every method with the right messages', () => {
    const good = compileErrors(`
export class Handlers implements c.LikesServiceHandlers<{ deadline: number }> {
  async Like(request: c.LikeRequestOutput): Promise<c.LikeResponse> { return { postId: request.postId, count: 1, liked: true }; }
  async Unlike(request: c.UnlikeRequestOutput): Promise<c.LikeResponse> { return { postId: request.postId, count: 0, liked: false }; }
  Counts(_request: c.CountsRequestOutput, ctx: { deadline: number }): c.CountsResponse { return { counts: [{ postId: String(ctx.deadline) }] }; }
}`);
    expect(good).toEqual([]);
    const missing = compileErrors(`
export class Handlers implements c.LikesServiceHandlers<unknown> {
  async Like(): Promise<c.LikeResponse> { return { postId: 'p', count: 1, liked: true }; }
  async Unlike(): Promise<c.LikeResponse> { return { postId: 'p', count: 0, liked: false }; }
}`);
    expect(missing.join('\n')).toMatch(/Property 'Counts' is missing/);
    const wrong = compileErrors(`
export class Handlers implements c.LikesServiceHandlers<unknown> {
  async Like(): Promise<c.LikeResponse> { return { postId: 'p', count: 1, liked: true }; }
  async Unlike(): Promise<{ nope: number }> { return { nope: 1 }; }
  async Counts(): Promise<c.CountsResponse> { return { counts: [] }; }
}`);
    expect(wrong.join('\n')).toMatch(/Property 'Unlike' in type 'Handlers' is not assignable/);
  });
});
