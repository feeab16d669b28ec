import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { StaticAssetsMiddleware } from './static-assets.middleware';
import { StaticFileStore } from './static-file.store';
import { validateMount, type StaticMount } from './static-files';
import { GATEWAY_WEB_MOUNTS } from './web-mounts';
import { WEB_MOUNTS } from './web.constants';

/**
 * The gateway's static pages (the web app and the console, see GATEWAY_WEB_MOUNTS): plain files,
 * no server-side rendering, read into memory at start (StaticFileStore) and served by
 * StaticAssetsMiddleware before the API's router, which only sees paths that are not static.
 */
@Module({})
export class WebModule implements NestModule {
  /** Serves `mounts` (default: the web app and the console). */
  static forRoot(mounts: readonly StaticMount[] = GATEWAY_WEB_MOUNTS): DynamicModule {
    return { module: WebModule, providers: [{ provide: WEB_MOUNTS, useValue: mounts.map(validateMount) }, StaticFileStore, StaticAssetsMiddleware] };
  }

  /** Runs the static middleware on every GET and HEAD (it passes on what is not static). */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(StaticAssetsMiddleware).forRoutes({ path: '{*splat}', method: RequestMethod.GET }, { path: '{*splat}', method: RequestMethod.HEAD });
  }
}
