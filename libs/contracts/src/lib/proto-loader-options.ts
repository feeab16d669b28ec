/**
 * The ONE set of `@grpc/proto-loader` options used by every loader in the platform and by the
 * type generator (`proto-loader-gen-types`), so runtime objects and generated types agree.
 *
 * - `keepCase: false`: fields are camelCase in TS (`created_at_ms` → `createdAtMs`).
 * - `longs: String`: int64/uint64 arrive as decimal strings (lossless, like proto3 JSON). When
 *   sending, a number, a decimal string or a Long is accepted. Use `int64ToNumber()` to read one.
 * - `enums: String`: enums arrive as their names (`'THUMBNAIL'`); names or numbers are accepted
 *   when sending.
 * - `defaults: true`: received messages have every scalar, repeated and map field filled
 *   (`''`, `0`, `false`, `[]`, `{}`); an unset message field is `null`.
 * - `oneofs: true`: a oneof (and a proto3 `optional` field, which is a one-field oneof) gets a
 *   virtual `_field` property naming the field that is set; an unset `optional` field is absent
 *   (not defaulted), so presence survives decoding.
 * - bytes stay Buffers (proto-loader's default).
 */
export const PROTO_LOADER_OPTIONS = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const);

/** The type of PROTO_LOADER_OPTIONS (a subset of proto-loader's `Options`). */
export type ProtoLoaderOptions = typeof PROTO_LOADER_OPTIONS;
