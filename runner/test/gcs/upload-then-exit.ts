// A child process for gcs-direct-upload.test.ts: uploads a small clip (keep-alive agent) and a large one (direct
// PUT) to the GCS test server named on the command line, prints "uploaded", and returns from its script without
// closing anything. The process must then exit on its own: no upload socket may keep it alive.
// Usage: node --import tsx upload-then-exit.ts <endpoint> <bucket>
import { randomBytes } from 'node:crypto';
import { createGcsClipSink } from '../../src/gcs/index.js';
import { clipOf } from '../conformance/clip-sink-suite.js';
import { testSinkOptions } from './sink-fixture.js';

const [endpoint, bucket] = process.argv.slice(2);
const sink = createGcsClipSink(testSinkOptions(endpoint, bucket ?? '', { maxAttempts: 1 }));
const describe = (name: string) => ({ name, contentType: 'video/mp4', metadata: {}, size: undefined });
const small = await sink.putIfAbsent(describe('exit/small.mp4'), clipOf(randomBytes(20_000)));
const large = await sink.putIfAbsent(describe('exit/large.mp4'), clipOf(randomBytes(1_000_000)));
console.log(`uploaded ${small.outcome} ${large.outcome}`);
