import { isChaosError } from './chaos.error';
import { CUT_CHAIN, cutScript, healScript, parseCutLinks, planCuts, type CuttableContainer } from './compose-partitions';

const containers: CuttableContainer[] = [
  { name: 'redis-1', pid: 101, ip: '172.29.57.11', app: false },
  { name: 'redis-2', pid: 102, ip: '172.29.57.12', app: false },
  { name: 'sentinel-1', pid: 201, ip: '172.29.57.21', app: false },
  { name: 'sentinel-2', pid: 202, ip: '172.29.57.22', app: false },
  { name: 'gateway-1', pid: 301, ip: '172.29.57.61', app: true },
  { name: 'likes-1', pid: 302, ip: '172.29.57.41', app: true },
];

describe('planCuts', () => {
  it('cuts every link between the groups, in both directions, and none inside a group', () => {
    const plan = planCuts([['redis-1'], ['sentinel-1', 'redis-2']], containers);
    expect(plan.links).toEqual(['redis-1|redis-2', 'redis-1|sentinel-1']);
    expect(plan.rules.get('redis-1')).toEqual(['172.29.57.21', '172.29.57.12']);
    expect(plan.rules.get('sentinel-1')).toEqual(['172.29.57.11']);
    expect(plan.rules.get('redis-2')).toEqual(['172.29.57.11']);
    expect(plan.rules.has('sentinel-2')).toBe(false);
  });

  it('`clients` stands for every app container that no group names', () => {
    const plan = planCuts([['gateway-1'], ['redis-1', 'clients']], containers);
    // gateway-1 is named, so `clients` is likes-1 only
    expect(plan.links).toEqual(['gateway-1|likes-1', 'gateway-1|redis-1']);
  });

  it.each([
    [[['redis-1']], /at least 2 non-empty groups/],
    [[['redis-1'], []], /at least 2 non-empty groups/],
    [[['redis-1'], ['redis-9']], /unknown node "redis-9"; the running nodes are redis-1, redis-2, sentinel-1, sentinel-2, gateway-1, likes-1, clients/],
    [[['redis-1'], ['redis-1', 'sentinel-1']], /node "redis-1" is in two groups/],
  ])('refuses %j with BAD_REQUEST saying why', (groups, message) => {
    let thrown: unknown;
    try {
      planCuts(groups, containers);
    } catch (error) {
      thrown = error;
    }
    expect(isChaosError(thrown, 'BAD_REQUEST')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('the cutter scripts', () => {
  it('enter each concerned namespace, let resets through first, then reject TCP with a reset both ways', () => {
    const script = cutScript(planCuts([['redis-1'], ['sentinel-1']], containers), containers);
    const lines = script.split('\n');
    const forRedis1 = lines.filter((l) => l.startsWith('nsenter -t 101 -n'));
    expect(forRedis1).toEqual([
      `nsenter -t 101 -n iptables -w -N ${CUT_CHAIN} 2>/dev/null || true`,
      `nsenter -t 101 -n iptables -w -C ${CUT_CHAIN} -p tcp --tcp-flags RST RST -j RETURN 2>/dev/null || nsenter -t 101 -n iptables -w -I ${CUT_CHAIN} 1 -p tcp --tcp-flags RST RST -j RETURN`,
      `nsenter -t 101 -n iptables -w -C INPUT -j ${CUT_CHAIN} 2>/dev/null || nsenter -t 101 -n iptables -w -I INPUT -j ${CUT_CHAIN}`,
      `nsenter -t 101 -n iptables -w -C OUTPUT -j ${CUT_CHAIN} 2>/dev/null || nsenter -t 101 -n iptables -w -I OUTPUT -j ${CUT_CHAIN}`,
      `nsenter -t 101 -n iptables -w -A ${CUT_CHAIN} -p tcp -s 172.29.57.21 -j REJECT --reject-with tcp-reset`,
      `nsenter -t 101 -n iptables -w -A ${CUT_CHAIN} -p tcp -d 172.29.57.21 -j REJECT --reject-with tcp-reset`,
      `nsenter -t 101 -n iptables -w -A ${CUT_CHAIN} -s 172.29.57.21 -j DROP`,
    ]);
    // uninvolved containers get no rule, only the listing
    expect(lines.filter((l) => l.startsWith('nsenter -t 102 -n iptables -w -A'))).toEqual([]);
    expect(lines).toContain('echo "@@redis-2"; nsenter -t 102 -n iptables -w -S FAILSOFT 2>/dev/null || true');
  });

  it('heal empties the chain in every container', () => {
    const script = healScript(containers);
    for (const c of containers) expect(script).toContain(`nsenter -t ${c.pid} -n iptables -w -F ${CUT_CHAIN} 2>/dev/null || true`);
  });
});

describe('parseCutLinks', () => {
  it('reads the links cut now from the chains each container lists', () => {
    const output = [
      '@@redis-1',
      '-N FAILSOFT',
      '-A FAILSOFT -p tcp -m tcp --tcp-flags RST RST -j RETURN',
      '-A FAILSOFT -s 172.29.57.21/32 -p tcp -j REJECT --reject-with tcp-reset',
      '-A FAILSOFT -d 172.29.57.21/32 -p tcp -j REJECT --reject-with tcp-reset',
      '-A FAILSOFT -s 172.29.57.21/32 -j DROP',
      '@@sentinel-1',
      '-N FAILSOFT',
      '-A FAILSOFT -s 172.29.57.11/32 -p tcp -j REJECT --reject-with tcp-reset',
      '@@redis-2',
      '-N FAILSOFT',
      '@@gateway-1',
    ].join('\n');
    expect(parseCutLinks(output, containers)).toEqual(['redis-1|sentinel-1']);
  });

  it('finds nothing cut in empty chains', () => {
    expect(parseCutLinks('@@redis-1\n-N FAILSOFT\n@@redis-2\n', containers)).toEqual([]);
  });
});
