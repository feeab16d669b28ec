import { GRPC_SERVICE_NAMES } from '@failsoft/contracts';
import type { FaultRule, FaultRuleInput } from '@failsoft/sidecar';
import { formatDuration, UsageError } from '../args';
import { chaosTargetFor, COMPOSE_FLAG, runChaos, stamp } from '../chaos/chaos-cli';
import { newFaultId } from '../chaos/fault-rules';
import type { Command } from './command';

/** Services that serve gRPC (where fault rules apply), or `*`. */
export const FAULT_SERVICES: readonly string[] = [...GRPC_SERVICE_NAMES, '*'];

/** One line per rule: `likes-Like-3fa2c1  likes/Like  abort 100% (UNAVAILABLE)  delay -  until 12:03:04`. */
export function describeRule(rule: FaultRule): string {
  const parts = [`${rule.service}/${rule.method}`];
  if (rule.abortPercent > 0) parts.push(`abort ${rule.abortPercent}% (code ${rule.abortCode})`);
  if (rule.delayMs > 0 && rule.delayPercent > 0) parts.push(`delay ${formatDuration(rule.delayMs)}${rule.delayPercent < 100 ? ` on ${rule.delayPercent}%` : ''}`);
  parts.push(rule.expiresAt === undefined ? 'until cleared' : `until ${new Date(rule.expiresAt).toISOString().slice(11, 19)} UTC`);
  return `${rule.id}  ${parts.join('  ')}`;
}

/** `failsoft fault`: adds, lists and clears sidecar fault rules (delays and aborts of gRPC calls, applied by every server within a second). */
export const faultCommand: Command = {
  name: 'fault',
  summary: 'inject faults into gRPC calls: delay or abort a share of calls of a service/method',
  usage: 'failsoft fault <service> [<method>] --delay <ms>|--abort <pct> [--for <duration>] | --list | --clear [<id>] [--compose]',
  positionals: [
    { name: 'service', valueName: '<service>', description: 'upload, likes, feed or * (with --clear: the rule id to remove)' },
    { name: 'method', valueName: '<method>', description: 'the gRPC method as in the .proto (Like, GetFeed...) or * (default *)' },
  ],
  details: [
    'Rules live in Redis (hash failsoft:faults:rules) and every server applies them within a second.',
    'Examples: failsoft fault likes Like --abort 100 --for 30s   failsoft fault feed GetFeed --delay 800ms',
    '          failsoft fault --list   failsoft fault --clear   failsoft fault --clear likes-Like-3fa2c1',
  ],
  flags: [
    { name: 'delay', type: 'duration', min: 1, max: 600_000, valueName: '<ms>', description: 'delay matching calls by this long (500ms, 2s, or plain ms)' },
    { name: 'delay-percent', type: 'integer', min: 1, max: 100, valueName: '<pct>', description: 'share of matching calls delayed (default 100)' },
    { name: 'abort', type: 'integer', min: 1, max: 100, valueName: '<pct>', description: 'abort this percentage of matching calls' },
    { name: 'code', type: 'string', valueName: '<status>', description: 'gRPC status of aborted calls (default UNAVAILABLE)' },
    { name: 'for', type: 'duration', min: 1, max: 86_400_000, valueName: '<duration>', description: 'the rule expires after this long (default: until cleared)' },
    { name: 'id', type: 'string', valueName: '<id>', description: 'rule id (default generated; the same id replaces a rule)' },
    { name: 'list', type: 'boolean', description: 'list the rules in force' },
    { name: 'clear', type: 'boolean', description: 'remove every rule, or the one whose id is given' },
    { name: 'json', type: 'boolean', description: 'print JSON' },
    COMPOSE_FLAG,
  ],
  async run(flags, ctx) {
    return runChaos(ctx, 'fault', async () => {
      const adding = ['delay', 'abort', 'delay-percent', 'code', 'for', 'id'].filter((f) => flags[f] !== undefined);
      if (flags['list'] === true || flags['clear'] === true) {
        const mode = flags['list'] === true ? '--list' : '--clear';
        if (flags['list'] === true && flags['clear'] === true) throw new UsageError('failsoft fault: give either --list or --clear, not both');
        if (adding.length) throw new UsageError(`failsoft fault: ${mode} takes no --${adding[0]}`);
        if (flags['method'] !== undefined || (flags['list'] === true && flags['service'] !== undefined)) throw new UsageError(`failsoft fault: unexpected argument ${JSON.stringify(flags['method'] ?? flags['service'])} with ${mode}`);
        const target = chaosTargetFor(flags, ctx);
        if (flags['list'] === true) {
          const rules = await target.listFaults();
          if (flags['json'] === true) ctx.io.out(JSON.stringify(rules, null, 2));
          else if (rules.length === 0) ctx.io.out('no fault rules in force');
          else for (const rule of rules) ctx.io.out(describeRule(rule));
          return 0;
        }
        const id = flags['service'] as string | undefined;
        if (id !== undefined) {
          await target.removeFault(id);
          ctx.io.out(`${stamp()} removed fault rule ${id}`);
          return 0;
        }
        const rules = await target.listFaults();
        for (const rule of rules) await target.removeFault(rule.id);
        ctx.io.out(`${stamp()} ${rules.length ? `removed ${rules.length} fault rule${rules.length === 1 ? '' : 's'}: ${rules.map((r) => r.id).join(', ')}` : 'no fault rules to remove'}`);
        return 0;
      }
      const service = flags['service'] as string | undefined;
      if (service === undefined) throw new UsageError('failsoft fault: missing <service> (upload, likes, feed or *), or --list / --clear');
      if (!(FAULT_SERVICES as readonly string[]).includes(service)) throw new UsageError(`failsoft fault: unknown service ${JSON.stringify(service)}; fault rules apply to the gRPC services ${FAULT_SERVICES.join(', ')}`);
      if (flags['delay'] === undefined && flags['abort'] === undefined) throw new UsageError('failsoft fault: say what to inject: --delay <ms> and/or --abort <pct>');
      if (flags['delay-percent'] !== undefined && flags['delay'] === undefined) throw new UsageError('failsoft fault: --delay-percent needs --delay');
      if (flags['code'] !== undefined && flags['abort'] === undefined) throw new UsageError('failsoft fault: --code needs --abort');
      const method = (flags['method'] as string | undefined) ?? '*';
      const input: FaultRuleInput = {
        id: (flags['id'] as string | undefined) ?? newFaultId(service === '*' ? 'all' : service, method === '*' ? 'all' : method),
        service,
        method,
        ...(flags['abort'] !== undefined ? { abortPercent: flags['abort'] as number } : {}),
        ...(flags['code'] !== undefined ? { abortCode: /^\d+$/.test(String(flags['code'])) ? Number(flags['code']) : String(flags['code']) } : {}),
        ...(flags['delay'] !== undefined ? { delayMs: flags['delay'] as number, delayPercent: (flags['delay-percent'] as number | undefined) ?? 100 } : {}),
        ...(flags['for'] !== undefined ? { expiresAt: Date.now() + (flags['for'] as number) } : {}),
      };
      const target = chaosTargetFor(flags, ctx);
      const rule = await target.addFault(input);
      if (flags['json'] === true) ctx.io.out(JSON.stringify(rule, null, 2));
      else ctx.io.out(`${stamp()} fault rule added: ${describeRule(rule)}\nevery ${service === '*' ? '' : `${service} `}server applies it within a second; remove it with: failsoft fault --clear ${rule.id}`);
      return 0;
    });
  },
};
