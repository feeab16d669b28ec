import { ChaosError } from './chaos.error';

/** Name of every app container not named in a group (the services, like `clients` of the npm start relays). */
export const COMPOSE_CLIENTS = 'clients';
/** The iptables chain the cutter owns in each container's network namespace. */
export const CUT_CHAIN = 'FAILSOFT';
/** First rule of the chain: TCP resets pass (REJECT's own resets would otherwise be rejected and lost). */
const LET_RESETS_THROUGH = '-p tcp --tcp-flags RST RST -j RETURN';
/** The image of the cutter (deploy/netcut/Dockerfile), built on first use. */
export const NETCUT_IMAGE = 'failsoft-netcut:local';

/** One container that can take part in a partition: its name, the pid of its init and its address. */
export interface CuttableContainer {
  /** Compose service (`redis-1`, `sentinel-2`, `gateway-1`...). */
  readonly name: string;
  /** Pid of the container's first process on the host (`docker inspect` State.Pid): its network namespace. */
  readonly pid: number;
  /** Its address on the compose network. */
  readonly ip: string;
  /** True for an app instance (a member of {@link COMPOSE_CLIENTS} unless named). */
  readonly app: boolean;
}

/** The cuts to make: for each container, the addresses it must no longer reach or be reached from. */
export interface CutPlan {
  /** `a|b` pairs (sorted names) of every link of this partition. */
  readonly links: string[];
  /** Container name → addresses cut from it. */
  readonly rules: Map<string, string[]>;
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * Expands partition groups (names of containers or {@link COMPOSE_CLIENTS}) into the links to cut
 * and the rules per container. `clients` stands for every app container named in no group.
 * @throws ChaosError BAD_REQUEST for fewer than 2 groups, an empty group, a name that is not a
 * running container, or a name in two groups; nothing is changed then.
 */
export function planCuts(groups: readonly (readonly string[])[], containers: readonly CuttableContainer[]): CutPlan {
  const known = new Map(containers.map((c) => [c.name, c]));
  const valid = [...known.keys(), COMPOSE_CLIENTS].join(', ');
  if (groups.length < 2 || groups.some((g) => g.length === 0)) {
    throw new ChaosError('BAD_REQUEST', `a partition needs at least 2 non-empty groups (failsoft partition redis-1 sentinel-1,sentinel-2 --compose); got ${JSON.stringify(groups)}`);
  }
  const seen = new Set<string>();
  for (const name of groups.flat()) {
    if (name !== COMPOSE_CLIENTS && !known.has(name)) throw new ChaosError('BAD_REQUEST', `unknown node ${JSON.stringify(name)}; the running nodes are ${valid}`);
    if (seen.has(name)) throw new ChaosError('BAD_REQUEST', `node ${JSON.stringify(name)} is in two groups; each node may be in one group only`);
    seen.add(name);
  }
  const expand = (group: readonly string[]): CuttableContainer[] =>
    group.flatMap((name) => (name === COMPOSE_CLIENTS ? containers.filter((c) => c.app && !seen.has(c.name)) : [known.get(name) as CuttableContainer]));
  const expanded = groups.map(expand);
  const links = new Set<string>();
  const rules = new Map<string, string[]>();
  const add = (from: CuttableContainer, to: CuttableContainer): void => {
    rules.set(from.name, [...(rules.get(from.name) ?? []), to.ip]);
  };
  for (let i = 0; i < expanded.length; i++) {
    for (let j = i + 1; j < expanded.length; j++) {
      for (const a of expanded[i]) {
        for (const b of expanded[j]) {
          links.add(linkKey(a.name, b.name));
          add(a, b);
          add(b, a);
        }
      }
    }
  }
  return { links: [...links].sort(), rules };
}

/**
 * The shell script the cutter runs: for each container, enter its network namespace and reject
 * every TCP packet to or from the cut addresses with a reset (so both ends of an open connection
 * learn at their next packet, and a new connection is refused at once), and drop anything else
 * from them. Rules go in a chain of our own, hooked first in INPUT and OUTPUT; a cut adds to
 * the cuts already made. Then it prints each container's chain (`@@name` and `iptables -S`).
 */
export function cutScript(plan: CutPlan, containers: readonly CuttableContainer[]): string {
  const lines = ['set -e'];
  for (const c of containers) {
    const ips = plan.rules.get(c.name);
    if (!ips?.length) continue;
    const ipt = `nsenter -t ${c.pid} -n iptables -w`;
    lines.push(`${ipt} -N ${CUT_CHAIN} 2>/dev/null || true`);
    // the resets REJECT sends pass the chain too: let them through, or nobody ever learns of the cut
    lines.push(`${ipt} -C ${CUT_CHAIN} ${LET_RESETS_THROUGH} 2>/dev/null || ${ipt} -I ${CUT_CHAIN} 1 ${LET_RESETS_THROUGH}`);
    lines.push(`${ipt} -C INPUT -j ${CUT_CHAIN} 2>/dev/null || ${ipt} -I INPUT -j ${CUT_CHAIN}`);
    lines.push(`${ipt} -C OUTPUT -j ${CUT_CHAIN} 2>/dev/null || ${ipt} -I OUTPUT -j ${CUT_CHAIN}`);
    for (const ip of ips) {
      lines.push(`${ipt} -A ${CUT_CHAIN} -p tcp -s ${ip} -j REJECT --reject-with tcp-reset`);
      lines.push(`${ipt} -A ${CUT_CHAIN} -p tcp -d ${ip} -j REJECT --reject-with tcp-reset`);
      lines.push(`${ipt} -A ${CUT_CHAIN} -s ${ip} -j DROP`);
    }
  }
  lines.push(...listScript(containers));
  return lines.join('\n');
}

/** The script that empties the chain in every container (heal), then lists what is left. */
export function healScript(containers: readonly CuttableContainer[]): string {
  const lines = containers.map((c) => `nsenter -t ${c.pid} -n iptables -w -F ${CUT_CHAIN} 2>/dev/null || true`);
  return [...lines, ...listScript(containers)].join('\n');
}

function listScript(containers: readonly CuttableContainer[]): string[] {
  return containers.map((c) => `echo "@@${c.name}"; nsenter -t ${c.pid} -n iptables -w -S ${CUT_CHAIN} 2>/dev/null || true`);
}

/**
 * Reads the links cut now from what {@link cutScript}/{@link healScript} print: a container whose
 * chain rejects packets from address X is cut from the container that has X.
 */
export function parseCutLinks(output: string, containers: readonly CuttableContainer[]): string[] {
  const byIp = new Map(containers.map((c) => [c.ip, c.name]));
  const links = new Set<string>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    const header = /^@@(\S+)$/.exec(line.trim());
    if (header) {
      current = header[1];
      continue;
    }
    const rule = new RegExp(`^-A ${CUT_CHAIN} .*-s (\\d+\\.\\d+\\.\\d+\\.\\d+)(?:/32)? `).exec(line.trim());
    const peer = rule ? byIp.get(rule[1]) : undefined;
    if (current && peer) links.add(linkKey(current, peer));
  }
  return [...links].sort();
}

/** The image the front door is built FROM when FAILSOFT_HAPROXY_IMAGE is not set (docker-compose.yml). */
const DEFAULT_NETCUT_BASE = 'haproxy:2.8@sha256:bbec126b29d3dbc06437d2ea6694119467ea5c85ed6e487d28bb81a5a7e31805';
/** Bound of building the cutter image (apt-get inside; first partition only). */
const NETCUT_BUILD_TIMEOUT_MS = 300_000;

/**
 * What the cutter needs and no more (not `--privileged`, which also asks for capabilities a
 * rootless or sandboxed engine cannot grant): SYS_ADMIN and SYS_PTRACE for nsenter into another
 * process's network namespace, NET_ADMIN for iptables there, seccomp off for setns.
 */
const NETCUT_PRIVILEGES = ['--cap-drop', 'ALL', '--cap-add', 'SYS_ADMIN', '--cap-add', 'SYS_PTRACE', '--cap-add', 'NET_ADMIN', '--security-opt', 'seccomp=unconfined'];

/** Runs `docker <args>` with an optional bound, resolving with its standard output. */
export type DockerRun = (args: readonly string[], timeoutMs?: number) => Promise<string>;

/**
 * The network cutter: runs a script in a throwaway container (deploy/netcut) with the privileges
 * of {@link NETCUT_PRIVILEGES}, in the host's pid namespace, so that `nsenter -t <pid> -n` reaches each container's network
 * namespace; it has no network of its own. Builds its image on first use.
 */
export class Netcut {
  private ready = false;

  /** @param run runs docker; @param baseImage FROM of the image (default the pinned haproxy:2.8); @param progress where build progress goes (default stderr). */
  constructor(
    private readonly run: DockerRun,
    private readonly baseImage: string | undefined,
    private readonly progress: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  /** Runs `script` (sh) in the cutter and resolves with what it printed. */
  async exec(script: string): Promise<string> {
    await this.ensureImage();
    return this.run(['run', '--rm', ...NETCUT_PRIVILEGES, '--pid', 'host', '--network', 'none', NETCUT_IMAGE, 'sh', '-c', script]);
  }

  private async ensureImage(): Promise<void> {
    if (this.ready || (await this.run(['image', 'inspect', NETCUT_IMAGE]).then(() => true, () => false))) {
      this.ready = true;
      return;
    }
    const base = this.baseImage || DEFAULT_NETCUT_BASE;
    const started = Date.now();
    this.progress(`building ${NETCUT_IMAGE} from ${base} (deploy/netcut/Dockerfile; first partition only, up to a minute)`);
    await this.run(['build', '-q', '-t', NETCUT_IMAGE, '--build-arg', `BASE_IMAGE=${base}`, 'deploy/netcut'], NETCUT_BUILD_TIMEOUT_MS);
    this.progress(`${NETCUT_IMAGE} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    this.ready = true;
  }
}
