import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { tap, type Observable } from 'rxjs';
import { ConsoleTrafficService } from './console-traffic.service';

/**
 * Notes which responses were served without a part: a handler result whose `degraded` is a
 * non-empty list (the fail-soft contract's marker, e.g. the feed with `degraded: ["likes"]`).
 * `GET /api/health` is left out: its `degraded` reports the platform, it is not a degraded answer.
 */
@Injectable()
export class DegradedResponseInterceptor implements NestInterceptor {
  /** @param traffic where degraded responses are noted. */
  constructor(private readonly traffic: ConsoleTrafficService) {}

  /** Taps the handler's result. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<{ url: string; originalUrl?: string }>();
    const path = (request.originalUrl ?? request.url).split('?')[0];
    if (path === '/api/health') return next.handle();
    return next.handle().pipe(
      tap((result: unknown) => {
        const degraded = (result as { degraded?: unknown } | null | undefined)?.degraded;
        if (Array.isArray(degraded) && degraded.length > 0) this.traffic.markDegraded(request);
      }),
    );
  }
}
