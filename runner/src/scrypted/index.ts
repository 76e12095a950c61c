import { ScryptedClipSource, type ScryptedSourceOptions } from './clip-source.js';

export { ScryptedClipSource, type ScryptedSourceOptions };

export function connectScryptedClipSource(options: ScryptedSourceOptions): Promise<ScryptedClipSource> {
  return ScryptedClipSource.connect(options);
}
