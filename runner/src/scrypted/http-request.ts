// Plain HTTP(S) requests to Scrypted with the connection's TLS agent, and deadlines on every part: the answer's
// headers within the timeout, silence on the socket never longer than the timeout, a body read whole (JSON)
// capped in size and finished within the timeout; a streamed body keeps a floor rate (floor-rate.ts).
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { explainTlsError } from './tls.js';

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  agent: Agent;
  /** The headers must arrive within this (ms), and the socket may not stay silent longer. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** The most a body read whole (login, JSON) may hold: Scrypted's answers are a few hundred bytes. */
export const MAX_WHOLE_BODY_BYTES = 1024 * 1024;

/** The error of an answer whose head did not come within the timeout, or a socket silent longer than it. */
export function noAnswerWithin(path: string, timeoutMs: number): Error {
  return new Error(`Scrypted did not answer ${path} within ${timeoutMs} ms`);
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
    // Header bytes that trickle in keep the socket busy: the whole head has a deadline of its own.
    const headDeadline = setTimeout(() => request.destroy(noAnswerWithin(url.pathname, options.timeoutMs)), options.timeoutMs);
    request.setTimeout(options.timeoutMs, () => request.destroy(noAnswerWithin(url.pathname, options.timeoutMs)));
    request.on('error', (error) => {
      clearTimeout(headDeadline);
      reject(explainTlsError(error));
    });
    request.on('response', (response) => {
      clearTimeout(headDeadline);
      // After the headers, the same socket timeout keeps watching the body: a stalled stream errors out.
      response.on('aborted', () => response.destroy(new Error(`connection closed while reading ${url.pathname}`)));
      resolve(response);
    });
    request.end(options.body);
  });
}

/**
 * The whole body as text, for small answers (JSON): at most `limitBytes`, finished within `timeoutMs`. A larger
 * or slower body fails with a clear error and is not read further.
 */
export async function readText(response: IncomingMessage, what: string, timeoutMs: number, limitBytes = MAX_WHOLE_BODY_BYTES): Promise<string> {
  const declared = Number(response.headers['content-length']);
  const tooLarge = () => new Error(`Scrypted's answer to ${what} is larger than ${limitBytes} bytes; a Scrypted server answers with a few hundred (is SCRYPTED_HOST a Scrypted server?)`);
  if (Number.isFinite(declared) && declared > limitBytes) {
    response.destroy();
    throw tooLarge();
  }
  let late: Error | undefined;
  const deadline = setTimeout(() => {
    late = new Error(`Scrypted's answer to ${what} did not finish within ${timeoutMs} ms (a stalled or trickling server?)`);
    response.destroy(late);
  }, timeoutMs);
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of response) {
      bytes += (chunk as Buffer).length;
      if (bytes > limitBytes) {
        response.destroy();
        throw tooLarge();
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    // Destroying the response can surface as the socket's own error ("aborted"): report the deadline.
    throw late ?? error;
  } finally {
    clearTimeout(deadline);
  }
  return Buffer.concat(chunks).toString('utf8');
}
