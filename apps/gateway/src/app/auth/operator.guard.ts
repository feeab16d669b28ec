import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ApiError } from '../errors/api-error';
import type { GatewayRequest } from '../common/gateway-request';
import { OPERATOR_USER, roleOf } from './demo-users';

/** 403 `FORBIDDEN`: a signed-in member asked for an operator's action. */
export function operatorOnly(user: string): ApiError {
  return new ApiError(403, 'FORBIDDEN', `"${user}" may read, post and like, but console actions (kill, revive, failover, faults) need the "${OPERATOR_USER}" user: sign in as ${OPERATOR_USER} with the password \`failsoft up\` printed at first start (.failsoft/secrets.json)`);
}

/**
 * Requires the operator role (after SignedInGuard, which sets `request.user`): chaos and console
 * actions. A demo user gets 403 `FORBIDDEN` JSON, whatever the body says.
 */
@Injectable()
export class OperatorGuard implements CanActivate {
  /** Passes the operator, refuses everyone else. */
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    if (request.user === undefined) throw new Error('OperatorGuard needs SignedInGuard before it');
    if (roleOf(request.user) !== 'operator') throw operatorOnly(request.user);
    return true;
  }
}
