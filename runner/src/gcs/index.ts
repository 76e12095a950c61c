import { GcsClipSink, type GcsSinkOptions } from './gcs-clip-sink.js';

export { GcsClipSink, type GcsSinkOptions };

export function createGcsClipSink(options: GcsSinkOptions): GcsClipSink {
  return new GcsClipSink(options);
}
