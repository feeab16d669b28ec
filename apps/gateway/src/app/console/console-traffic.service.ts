import { Injectable } from '@nestjs/common';
import { RollingRates, type TrafficSeries } from './rolling-rates';

/** Paths counted as public API traffic: `/api/...` except the console's own endpoints. */
export function isCountedPath(path: string): boolean {
  return path.startsWith('/api/') && !path.startsWith('/api/console/');
}

/**
 * The gateway's own public API traffic for the console: finished responses by class
 * (success, degraded, rejected, error) over the last 60 s in 1-s buckets. Fed by
 * ConsoleTrafficMiddleware (every finished response) and DegradedResponseInterceptor (which
 * responses were served without a part).
 */
@Injectable()
export class ConsoleTrafficService {
  private readonly rates = new RollingRates();
  private readonly degraded = new WeakSet<object>();

  /** Marks `request` as answered without a part (its body lists `degraded`). */
  markDegraded(request: object): void {
    this.degraded.add(request);
  }

  /** Counts one finished response. */
  record(request: object, status: number): void {
    this.rates.record(RollingRates.classify(status, this.degraded.has(request)));
  }

  /** The last minute of traffic. */
  series(): TrafficSeries {
    return this.rates.series();
  }
}
