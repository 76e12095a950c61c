// A probe for docs/benchmarks.md ("What would take the large-clip path toward 1 CPU s/GB", item 1), not the
// runner's code: a clip's HTTP answer read on a plain socket with `onread` (a fresh buffer per read, no
// `node:http` parser copying each chunk), for `upload-path.ts` with UPLOAD_PATH_READER=onread. It knows only what
// the bench's file server sends (HTTP/1.1, 200, Content-Length, no TLS, no chunked answers); the bytes then pass
// the same ClipBodyCheck the runner's answers pass.
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import type { ClipStream } from '../src/core/ports.js';
import { ClipBodyCheck } from '../src/scrypted/clip-body-check.js';

const READ_BYTES = Number(process.env.UPLOAD_PATH_READ_KIB ?? 256) * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

export function openOnread(port: number, path: string, timeoutMs: number): Promise<ClipStream> {
  return new Promise((resolve, reject) => {
    let head: Buffer | undefined = Buffer.alloc(0);
    let left = 0;
    const body = new Readable({ read: () => socket.resume() });
    const socket = connect({
      host: '127.0.0.1',
      port,
      onread: {
        buffer: () => Buffer.allocUnsafe(READ_BYTES),
        callback: (read: number, buffer: Uint8Array): boolean => {
          let data = Buffer.from(buffer.buffer, buffer.byteOffset, read);
          if (head) {
            head = Buffer.concat([head, data]);
            const end = head.indexOf(HEAD_END);
            if (end < 0) return true;
            const lines = head.subarray(0, end).toString('latin1').split('\r\n');
            const length = Number(/^content-length:\s*(\d+)$/im.exec(lines.join('\n'))?.[1]);
            if (!lines[0]?.startsWith('HTTP/1.1 200') || !Number.isSafeInteger(length)) {
              socket.destroy();
              reject(new Error(`unexpected answer: ${lines[0]}`));
              return false;
            }
            left = length;
            data = head.subarray(end + HEAD_END.length);
            head = undefined;
            const checked = new ClipBodyCheck(path, length, timeoutMs);
            body.on('error', (error) => checked.destroy(error));
            checked.on('close', () => socket.destroy());
            body.pipe(checked);
            resolve({ stream: checked, size: length });
          }
          if (data.length === 0) return true;
          left -= data.length;
          const more = body.push(data);
          if (left <= 0) {
            body.push(null);
            socket.end();
            return false;
          }
          return more;
        },
      },
    });
    socket.once('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    socket.once('error', (error) => (head ? reject(error) : body.destroy(error)));
    socket.once('end', () => {
      if (left > 0) body.destroy(new Error(`connection closed ${left} bytes short`));
    });
  });
}
