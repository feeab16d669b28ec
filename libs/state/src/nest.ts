/**
 * @failsoft/state/nest — the NestJS adapter: StateModule.forRoot/forRootAsync and the
 * RedisHealthIndicator. Import from here only in Nest apps; `@failsoft/state` never loads @nestjs/*.
 */
export * from './lib/nest/index';
