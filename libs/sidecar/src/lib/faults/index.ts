export { validateFaultRule, statusName, MAX_FAULT_DELAY_MS, type FaultRule, type FaultRuleInput } from './fault-rule';
export { FaultRules, INJECTED_FAULT, type FaultRulesOptions } from './fault-rules';
export { isFaultSource, type FaultSource, type FaultDecision } from './fault-source';
export { RedisFaultRuleStore, type RedisFaultRuleStoreOptions } from './redis-fault-rule.store';
export { isInjectedFault } from './injected-fault';
