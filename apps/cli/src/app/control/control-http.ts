import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTROL_ERROR_STATUS, type ControlErrorBody, type ControlErrorCode } from '@failsoft/contracts';
import { InvalidOptionsError } from '@failsoft/sidecar';
import { ChaosError, isChaosError } from '../chaos/chaos.error';
import { CONTROL_MAX_BODY_BYTES } from './control.constants';

/** Reads a JSON object body (empty body → `{}`). @throws ChaosError BAD_REQUEST */
export function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > CONTROL_MAX_BODY_BYTES && !failed) {
        failed = true;
        reject(new ChaosError('BAD_REQUEST', `the request body is larger than ${CONTROL_MAX_BODY_BYTES} bytes`));
      }
      if (!failed) chunks.push(chunk);
    });
    req.on('error', (error) => reject(new ChaosError('BAD_REQUEST', `could not read the request body (${error.message})`)));
    req.on('end', () => {
      if (!failed) settleBody(Buffer.concat(chunks).toString('utf8').trim(), resolve, reject);
    });
  });
}

function settleBody(text: string, resolve: (body: Record<string, unknown>) => void, reject: (error: Error) => void): void {
  if (text === '') return resolve({});
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return reject(new ChaosError('BAD_REQUEST', `the request body is not valid JSON (${(error as Error).message})`));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return reject(new ChaosError('BAD_REQUEST', `the request body must be a JSON object; got ${text.slice(0, 40)}`));
  resolve(parsed as Record<string, unknown>);
}

/** Sends a JSON answer (no-op once headers went out). */
export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** Sends `{"error":{"code","message"}}` with the status of `code`. */
export function sendError(res: ServerResponse, code: ControlErrorCode, message: string, headers: Record<string, string> = {}): void {
  const body: ControlErrorBody = { error: { code, message } };
  send(res, CONTROL_ERROR_STATUS[code], body, headers);
}

/** True when the `Authorization` header carries `Bearer <token>` (compared in constant time). */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1].trim());
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** HTTP status, code and message of a failed action. */
export function describeError(error: unknown): { status: number; code: ControlErrorCode; message: string } {
  if (isChaosError(error)) return { status: CONTROL_ERROR_STATUS[error.code], code: error.code, message: error.message };
  if (error instanceof InvalidOptionsError) return { status: 400, code: 'BAD_REQUEST', message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, code: 'INTERNAL', message };
}
