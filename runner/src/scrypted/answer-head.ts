// The head of an HTTP/1.1 answer to a clip GET (clip-http-client.ts), parsed from bytes Scrypted (or whatever
// answers at SCRYPTED_HOST) sent: hostile until checked. Bounded in size and count, strict in syntax (CRLF line
// ends, token header names, no folded lines, no control characters), and unambiguous about where the body ends:
// one Content-Length, or `Transfer-Encoding: chunked` alone, or (neither) the connection's close. Names are kept
// in a Map, never as keys of a plain object. RFC 9112 sections 2-6 are the rules; docs/scrypted-hostile.md,
// "Clip answers on the wire".

/** The most a head may hold; Node's own HTTP client allows 16 KiB too. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** The most header lines a head may have. */
export const MAX_HEADER_LINES = 100;

/** How the body's end is known. */
export type BodyFraming = { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

export interface AnswerHead {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Map<string, string>;
  framing: BodyFraming;
  /** Whether the connection may carry another request after this answer's body. */
  reusable: boolean;
}

/** An answer that is not well-formed HTTP/1.1: nothing of it is used and its connection is closed. */
export class AnswerProtocolError extends Error {
  override name = 'AnswerProtocolError';
}

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9][0-9]{2})(?: [^\x00-\x08\x0a-\x1f\x7f]*)?$/;
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\x00-\x08\x0a-\x1f\x7f]*?)[ \t]*$/;
const DECIMAL = /^[0-9]{1,15}$/;

/** Parses the head's text: everything before the empty line that ends it, as latin1. */
export function parseAnswerHead(text: string): AnswerHead {
  const lines = text.split('\r\n');
  const statusLine = lines[0] ?? '';
  const status = STATUS_LINE.exec(statusLine);
  if (!status) throw new AnswerProtocolError(`the answer does not start with an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 60))}`);
  if (lines.length - 1 > MAX_HEADER_LINES) throw new AnswerProtocolError(`the answer has more than ${MAX_HEADER_LINES} header lines`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const header = HEADER_LINE.exec(line);
    if (!header) throw new AnswerProtocolError(`the answer has a malformed header line: ${JSON.stringify(line.slice(0, 60))}`);
    const name = (header[1] as string).toLowerCase();
    const value = header[2] as string;
    const known = headers.get(name);
    headers.set(name, known === undefined ? value : `${known}, ${value}`);
  }
  const code = Number(status[2]);
  if (code < 200) throw new AnswerProtocolError(`the answer is an informational ${code}, which a GET without Expect never gets`);
  const http11 = status[1] === '1';
  const connection = (headers.get('connection') ?? '').toLowerCase().split(',').map((token) => token.trim());
  const framing = framingOf(code, headers);
  const reusable = http11 && framing.kind !== 'close' && !connection.includes('close');
  return { status: code, headers, framing, reusable };
}

function framingOf(status: number, headers: Map<string, string>): BodyFraming {
  const encoding = headers.get('transfer-encoding');
  const length = headers.get('content-length');
  if (encoding !== undefined && length !== undefined) {
    throw new AnswerProtocolError('the answer has both Transfer-Encoding and Content-Length, so where its body ends is ambiguous');
  }
  if (status === 204 || status === 304) return { kind: 'length', length: 0 };
  if (encoding !== undefined) {
    if (encoding.trim().toLowerCase() !== 'chunked') throw new AnswerProtocolError(`the answer's Transfer-Encoding ${JSON.stringify(encoding.slice(0, 60))} is not plain chunked`);
    return { kind: 'chunked' };
  }
  if (length === undefined) return { kind: 'close' };
  // Repeated Content-Length headers are accepted only when they all say the same number.
  const values = new Set(length.split(',').map((value) => value.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !DECIMAL.test(only)) {
    throw new AnswerProtocolError(`the answer's Content-Length ${JSON.stringify(length.slice(0, 60))} is not one whole number`);
  }
  return { kind: 'length', length: Number(only) };
}
