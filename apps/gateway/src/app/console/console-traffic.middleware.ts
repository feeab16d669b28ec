import { Injectable, type NestMiddleware } from '@nestjs/common';
import { ConsoleTrafficService, isCountedPath } from './console-traffic.service';

/** The parts of the Express request and response the middleware uses. */
interface TrafficRequest {
  readonly url: string;
  readonly originalUrl?: string;
}
interface TrafficResponse {
  readonly statusCode: number;
  once(event: 'finish', listener: () => void): unknown;
}

/** Counts every finished public API response (`/api/...`, not the console's own) for the console's charts. */
@Injectable()
export class ConsoleTrafficMiddleware implements NestMiddleware {
  /** @param traffic where responses are counted. */
  constructor(private readonly traffic: ConsoleTrafficService) {}

  /** Listens for the end of the response, then continues. */
  use(request: TrafficRequest, response: TrafficResponse, next: () => void): void {
    const url = request.originalUrl ?? request.url;
    const query = url.indexOf('?');
    if (isCountedPath(query === -1 ? url : url.slice(0, query))) {
      response.once('finish', () => this.traffic.record(request, response.statusCode));
    }
    next();
  }
}
