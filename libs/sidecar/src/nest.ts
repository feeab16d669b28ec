/**
 * @failsoft/sidecar/nest — the thin NestJS adapter. Import from here only in Nest apps;
 * the core (`@failsoft/sidecar`) never loads @nestjs/*.
 */
export * from './lib/nest/index';
