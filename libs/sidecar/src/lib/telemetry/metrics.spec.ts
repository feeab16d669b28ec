import { status } from '@grpc/grpc-js';
import { register as globalRegistry, Registry } from 'prom-client';
import { isInvalidOptionsError } from '../core/sidecar.error';
import { SidecarMetrics, statusLabel } from './metrics';

function line(text: string, name: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(name));
}

describe('SidecarMetrics', () => {
  it('uses its own registry by default, never the global one', async () => {
    const metrics = new SidecarMetrics({ service: 'feed', instance: 'feed-1' });
    expect(metrics.registry).not.toBe(globalRegistry);
    expect(await globalRegistry.metrics()).not.toContain('failsoft_');
    expect(metrics.contentType).toContain('text/plain');
  });

  it('exports fallbacks, failovers and the retry budget read on every scrape; appends the default registry when it holds metrics', async () => {
    const metrics = new SidecarMetrics({ service: 'feed', instance: 'feed-1' });
    let budget = 12;
    metrics.watchRetryBudget('likes', () => budget);
    metrics.clientFallback('likes', 'Counts');
    metrics.clientFailover('likes');
    metrics.clientFailover('likes');
    let text = await metrics.metrics();
    expect(line(text, 'failsoft_client_fallbacks_total{service="likes",method="Counts"}')).toMatch(/ 1$/);
    expect(line(text, 'failsoft_client_failovers_total{service="likes"}')).toMatch(/ 2$/);
    expect(line(text, 'failsoft_retry_budget_remaining{service="likes"}')).toMatch(/ 12$/);
    budget = 3;
    const shared = new (await import('prom-client')).Counter({ name: 'spec_shared_total', help: 'a library metric in the default registry' });
    shared.inc();
    try {
      text = await metrics.metrics();
      expect(line(text, 'failsoft_retry_budget_remaining{service="likes"}')).toMatch(/ 3$/);
      expect(line(text, 'spec_shared_total')).toBe('spec_shared_total 1');
    } finally {
      globalRegistry.removeSingleMetric('spec_shared_total');
    }
  });

  it('exports client series after calls', async () => {
    const metrics = new SidecarMetrics({ service: 'feed', instance: 'feed-1' });
    metrics.clientCall('likes', 'Counts', status.OK, 0.004);
    metrics.clientCall('likes', 'Counts', status.OK, 0.02);
    metrics.clientCall('likes', 'Counts', status.UNAVAILABLE, 0.1);
    metrics.clientCall('likes', 'Like', 'DEADLINE_EXCEEDED', 0.3);
    metrics.clientRetry('likes');
    metrics.clientRetry('likes');
    metrics.retryBudgetRemaining('likes', 7);
    metrics.breakerState('likes', '*', 'open');
    metrics.breakerState('likes', 'likes-2', 'halfOpen');
    metrics.breakerState('likes', 'likes-3', 1);
    metrics.ejection('likes', 'likes-2');
    const text = await metrics.metrics();
    expect(line(text, 'failsoft_client_calls_total{service="likes",method="Counts",code="OK"}')).toMatch(/ 2$/);
    expect(line(text, 'failsoft_client_calls_total{service="likes",method="Counts",code="UNAVAILABLE"}')).toMatch(/ 1$/);
    expect(line(text, 'failsoft_client_calls_total{service="likes",method="Like",code="DEADLINE_EXCEEDED"}')).toMatch(/ 1$/);
    expect(line(text, 'failsoft_client_call_duration_seconds_count{service="likes",method="Counts"}')).toMatch(/ 3$/);
    expect(line(text, 'failsoft_client_call_duration_seconds_bucket{le="0.005",service="likes",method="Counts"}')).toMatch(/ 1$/);
    expect(line(text, 'failsoft_client_retries_total{service="likes"}')).toMatch(/ 2$/);
    expect(line(text, 'failsoft_retry_budget_remaining{service="likes"}')).toMatch(/ 7$/);
    expect(line(text, 'failsoft_breaker_state{service="likes",instance="*"}')).toMatch(/ 2$/);
    expect(line(text, 'failsoft_breaker_state{service="likes",instance="likes-2"}')).toMatch(/ 1$/);
    expect(line(text, 'failsoft_breaker_state{service="likes",instance="likes-3"}')).toMatch(/ 1$/);
    expect(line(text, 'failsoft_ejections_total{service="likes",instance="likes-2"}')).toMatch(/ 1$/);
    expect(line(text, 'failsoft_sidecar_info{service="feed",instance="feed-1"}')).toMatch(/ 1$/);
  });

  it('exports server series after calls', async () => {
    const metrics = new SidecarMetrics({ service: 'likes', instance: 'likes-1', prefix: 'x_' });
    metrics.serverInFlight(1);
    metrics.serverInFlight(1);
    metrics.serverInFlight(-1);
    metrics.serverCall('Like', status.OK, 0.001);
    metrics.serverCall('Like', status.RESOURCE_EXHAUSTED, 0.0001);
    metrics.shed('Like');
    metrics.deadlineRefused('Like');
    metrics.unauthenticated('Counts');
    metrics.faultInjected('Like', 'abort');
    metrics.faultInjected('Like', 'delay');
    const text = await metrics.metrics();
    expect(line(text, 'x_server_calls_total{method="Like",code="OK"}')).toMatch(/ 1$/);
    expect(line(text, 'x_server_calls_total{method="Like",code="RESOURCE_EXHAUSTED"}')).toMatch(/ 1$/);
    expect(line(text, 'x_server_call_duration_seconds_count{method="Like"}')).toMatch(/ 2$/);
    expect(line(text, 'x_server_in_flight')).toMatch(/ 1$/);
    expect(line(text, 'x_server_shed_total{method="Like"}')).toMatch(/ 1$/);
    expect(line(text, 'x_server_deadline_refused_total{method="Like"}')).toMatch(/ 1$/);
    expect(line(text, 'x_server_unauthenticated_total{method="Counts"}')).toMatch(/ 1$/);
    expect(line(text, 'x_faults_injected_total{method="Like",kind="abort"}')).toMatch(/ 1$/);
    expect(text).not.toContain('failsoft_');
  });

  it('lets several instances share one registry', async () => {
    const registry = new Registry();
    const a = new SidecarMetrics({ service: 'a', instance: 'a-1', registry });
    const b = new SidecarMetrics({ service: 'b', instance: 'b-1', registry });
    a.serverCall('M', status.OK, 0.01);
    b.serverCall('M', status.OK, 0.01);
    const text = await registry.metrics();
    expect(line(text, 'failsoft_server_calls_total{method="M",code="OK"}')).toMatch(/ 2$/);
    expect(text).toContain('failsoft_sidecar_info{service="a",instance="a-1"} 1');
    expect(text).toContain('failsoft_sidecar_info{service="b",instance="b-1"} 1');
  });

  it('reset() zeroes values but keeps the identity series', async () => {
    const metrics = new SidecarMetrics({ service: 'a', instance: 'a-1' });
    metrics.serverCall('M', status.OK, 0.01);
    metrics.reset();
    const text = await metrics.metrics();
    expect(text).not.toContain('failsoft_server_calls_total{method="M"');
    expect(text).toContain('failsoft_sidecar_info{service="a",instance="a-1"} 1');
    metrics.serverCall('M', status.OK, 0.01);
    expect(line(await metrics.metrics(), 'failsoft_server_calls_total{method="M",code="OK"}')).toMatch(/ 1$/);
  });

  it('names gRPC codes', () => {
    expect(statusLabel(14)).toBe('UNAVAILABLE');
    expect(statusLabel(0)).toBe('OK');
    expect(statusLabel(99)).toBe('99');
    expect(statusLabel('CUSTOM')).toBe('CUSTOM');
  });

  it.each([
    [{ service: '', instance: 'i' }, 'metrics.service must be a non-empty string; got ""'],
    [{ service: 's', instance: 'i', prefix: 'bad-prefix' }, 'metrics.prefix must be a valid Prometheus name prefix (letters, digits, _ and :); got "bad-prefix"'],
    [{ service: 's', instance: 'i', registry: {} }, 'metrics.registry must be a prom-client Registry; got {}'],
    [{ service: 's', instance: 'i', buckets: [0.1, 0.05] }, 'metrics.buckets must be strictly increasing; got 0.05 after 0.1 at index 1'],
  ])('rejects bad options %j', (options, message) => {
    let error: unknown;
    try {
      new SidecarMetrics(options as never);
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionsError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
  });

  it('rejects an unknown breaker state', () => {
    const metrics = new SidecarMetrics({ service: 'a', instance: 'a-1' });
    expect(() => metrics.breakerState('s', '*', 'ajar' as never)).toThrow('breaker state must be closed, halfOpen, open or 0-2; got "ajar"');
  });
});
