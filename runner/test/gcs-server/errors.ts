// Errors in the JSON API's form: https://cloud.google.com/storage/docs/json_api/v1/status-codes
import type { ServerResponse } from 'node:http';

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

export function sendError(response: ServerResponse, status: number, reason: string, message: string): void {
  sendJson(response, status, { error: { code: status, message, errors: [{ domain: 'global', reason, message }] } });
}

export const PRECONDITION_FAILED = 'At least one of the pre-conditions you specified did not hold.';
