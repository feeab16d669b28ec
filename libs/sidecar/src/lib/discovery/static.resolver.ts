import { EventEmitter, type Event } from '../core/event';
import type { ServiceInstance } from '../core/instance';
import { InvalidOptionsError } from '../core/sidecar.error';
import { assertObject, show } from '../core/validate';
import type { Resolver } from './resolver';
import { assertAddress, assertServiceName, byId, sameView, toServiceInstance } from './service-instance';

/** Options of a StaticResolver. */
export interface StaticResolverOptions {
  /** The service name. */
  readonly service: string;
  /**
   * The instances: `host:port` strings (ids become `service@host:port`, weight 1) or full
   * ServiceInstance objects (their `service` must match).
   */
  readonly addresses: readonly string[] | readonly ServiceInstance[];
  /** Zone given to instances built from address strings (default `''`). */
  readonly zone?: string;
}

/**
 * A fixed list of instances (configuration, tests, a single Kubernetes Service address).
 * Never stale; `update()` replaces the list at runtime.
 */
export class StaticResolver implements Resolver {
  /** The service name. */
  readonly service: string;
  /** A static list is never stale. */
  readonly stale = false;
  private readonly zone: string;
  private view: readonly ServiceInstance[];
  private readonly changes = new EventEmitter<readonly ServiceInstance[]>();

  /** Fires when `update()` changes the set of instances. */
  readonly onChange: Event<readonly ServiceInstance[]> = this.changes.event;

  /** @throws InvalidOptionsError naming the bad option or address. */
  constructor(options: StaticResolverOptions) {
    assertObject('static resolver options', options);
    this.service = assertServiceName('static.service', options.service);
    const zone = options.zone ?? '';
    if (typeof zone !== 'string') throw new InvalidOptionsError(`static.zone must be a string; got ${show(zone)}`);
    this.zone = zone;
    this.view = this.build(options.addresses);
  }

  /** The fixed view (sorted by id). */
  instances(): readonly ServiceInstance[] {
    return this.view;
  }

  /** Nothing to load. */
  async start(): Promise<void> {
    // static: the view is ready at construction
  }

  /** Nothing to stop. */
  async shutdown(): Promise<void> {
    // static: no timers, no connections
  }

  /**
   * Replaces the list (validated like the constructor's) and emits onChange when it differs.
   * @throws InvalidOptionsError naming the bad address.
   */
  update(addresses: readonly string[] | readonly ServiceInstance[]): void {
    const next = this.build(addresses);
    if (sameView(this.view, next)) return;
    this.view = next;
    this.changes.emit(next);
  }

  private build(addresses: unknown): readonly ServiceInstance[] {
    if (!Array.isArray(addresses) || addresses.length === 0) {
      throw new InvalidOptionsError(`static.addresses must be a non-empty array of "host:port" strings or ServiceInstance objects; got ${show(addresses)}`);
    }
    const byKey = new Map<string, ServiceInstance>();
    addresses.forEach((entry: unknown, i) => {
      let instance: ServiceInstance;
      if (typeof entry === 'string') {
        const address = assertAddress(`static.addresses[${i}]`, entry.trim());
        instance = Object.freeze({ id: `${this.service}@${address}`, service: this.service, address, zone: this.zone, weight: 1, metadata: Object.freeze({}) });
      } else {
        instance = toServiceInstance(`static.addresses[${i}]`, entry);
        if (instance.service !== this.service) {
          throw new InvalidOptionsError(`static.addresses[${i}].service must be ${show(this.service)}; got ${show(instance.service)}`);
        }
      }
      if (byKey.has(instance.id)) throw new InvalidOptionsError(`static.addresses[${i}] repeats instance ${show(instance.id)}`);
      byKey.set(instance.id, instance);
    });
    return Object.freeze([...byKey.values()].sort(byId));
  }
}
