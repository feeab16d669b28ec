export { type Balancer, type CallOutcome, LoadTracker, type LoadTrackerOptions, seededRandom } from './balancer';
export { P2cBalancer, type P2cBalancerOptions } from './p2c.balancer';
export { RoundRobinBalancer, type RoundRobinBalancerOptions } from './round-robin.balancer';
export { WeightedRoundRobinBalancer, type WeightedRoundRobinBalancerOptions, effectiveWeight } from './weighted-round-robin.balancer';
export { ZoneAwareBalancer, type ZoneAwareBalancerOptions, type SpilloverEvent } from './zone-aware.balancer';
export { selectCandidates, type EjectedPredicate } from './select-candidates';
export { createBalancer, type CreateBalancerOptions, type BalancerKind, BALANCER_KINDS } from './create-balancer';
