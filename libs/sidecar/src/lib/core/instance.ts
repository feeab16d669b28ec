/** One running instance of a service, as discovery sees it. */
export interface ServiceInstance {
  /** Stable unique id, e.g. `likes-1a2b3c`. */
  readonly id: string;
  /** Logical service name, e.g. `likes`. */
  readonly service: string;
  /** `host:port` to dial. */
  readonly address: string;
  /** Zone (failure domain) the instance runs in; `''` when unknown. */
  readonly zone: string;
  /** Relative weight for weighted balancing (default 1). */
  readonly weight: number;
  /** Free-form labels (version, pid, started-at ...). */
  readonly metadata: Readonly<Record<string, string>>;
}
