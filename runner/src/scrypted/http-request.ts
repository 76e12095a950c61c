// Plain HTTP(S) requests to Scrypted with the connection's TLS agent and a timeout on silence.
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { explainTlsError } from './tls.js';

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  agent: Agent;
  /** The response errors when no data flows for this long (ms). */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** Sends a request; resolves with the response once its headers arrived. The body is a stream. */
export function sendRequest(url: URL, options: RequestOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: options.agent,
      signal: options.signal,
    });
    request.setTimeout(options.timeoutMs, () => {
      request.destroy(new Error(`Scrypted did not answer ${url.pathname} within ${options.timeoutMs} ms`));
    });
    request.on('error', (error) => reject(explainTlsError(error)));
    request.on('response', (response) => {
      // After the headers, the same socket timeout keeps watching the body: a stalled stream errors out.
      response.on('aborted', () => response.destroy(new Error(`connection closed while reading ${url.pathname}`)));
      resolve(response);
    });
    request.end(options.body);
  });
}

export async function readText(response: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return text;
}
