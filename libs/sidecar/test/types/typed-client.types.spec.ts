import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import ts from 'typescript';

// building a program over the sidecar's sources (Nest, grpc-js, OpenTelemetry types) takes seconds
jest.setTimeout(90_000);

/**
 * Jest runs specs through swc, which strips types without checking them: the typed-client
 * guarantees (a misspelt idempotent method or RPC is a compile error, in `defineSidecarClient` and in
 * a `SidecarModule.forFeature` factory) are checked here with the
 * TypeScript compiler on two files: typed-client.ok.ts must compile cleanly, and every
 * `@ts-expect-error` line of typed-client.errors.ts must be the expected error.
 */
const OK = join(__dirname, 'typed-client.ok.ts');
const ERRORS = join(__dirname, 'typed-client.errors.ts');
const options: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  skipLibCheck: true,
  types: ['node'],
};

/** Diagnostics per file (only the two fixture files), `errors.ts` optionally with its directives removed. */
function diagnostics(stripDirectives: boolean): Map<string, string[]> {
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => {
    if (stripDirectives && name === ERRORS.replace(/\\/g, '/')) {
      const text = readFileSync(ERRORS, 'utf8').replace(/\/\/ @ts-expect-error.*$/gm, '// (directive removed)');
      return ts.createSourceFile(name, text, version);
    }
    return read(name, version, ...rest);
  };
  const program = ts.createProgram([OK, ERRORS], options, host);
  const byFile = new Map<string, string[]>([
    [OK, []],
    [ERRORS, []],
  ]);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file?.fileName.replace(/\//g, sep);
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    const list = file === undefined ? undefined : byFile.get(file);
    // diagnostics outside the two files (a broken lib type) fail the spec too
    (list ?? byFile.get(OK))?.push(`${file ? `${file}:${line}` : 'global'}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  return byFile;
}

describe('typed sidecar clients, as the compiler sees them', () => {
  let withDirectives: Map<string, string[]>;
  beforeAll(() => {
    withDirectives = diagnostics(false);
  });

  it('compiles the correct uses (typed idempotentMethods, injected client calls, untyped definitions) without diagnostics', () => {
    expect(withDirectives.get(OK)).toEqual([]);
  });

  it('finds an error on every @ts-expect-error line (an unused directive would be reported)', () => {
    expect(withDirectives.get(ERRORS)).toEqual([]);
  });

  it('reports the misspelt idempotent method (in defineSidecarClient and in a forFeature factory), the unknown RPC and the unknown request field once the directives are removed', () => {
    // each directive guards the line below it
    const lines = readFileSync(ERRORS, 'utf8').split('\n').flatMap((text, i) => (text.includes('// @ts-expect-error') ? [i + 2] : []));
    expect(lines).toHaveLength(4);
    const errors = diagnostics(true).get(ERRORS) ?? [];
    expect(errors).toEqual([
      expect.stringContaining(`:${lines[0]}: Type '"Ecoh"' is not assignable to type '"Echo" | "Relay"'`),
      // SidecarModule.forFeature([{ client, useFactory }]): the factory's names are checked like defineSidecarClient's
      expect.stringContaining(`:${lines[1]}: Type '"Ehco"' is not assignable to type '"Echo" | "Relay"'`),
      expect.stringContaining(`:${lines[2]}: Property 'Ehco' does not exist on type 'TypedClient<`),
      expect.stringContaining(`:${lines[3]}: Object literal may only specify known properties, but 'mesage' does not exist in type 'EchoRequest'`),
    ]);
  });
});
