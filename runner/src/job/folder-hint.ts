// A hint for people browsing the bucket: cameras whose names become the same folder (look-alike names such as
// `Front Door` and `Front/Door`). Their objects never collide (the tag hashes the camera id); the run warns.
import { sharedFolders } from '../core/object-name.js';
import type { Camera } from '../core/ports.js';
import type { Logger } from '../log.js';

export function warnSharedFolders(cameras: readonly Camera[], logger: Logger): void {
  for (const { folder, cameras: sharing } of sharedFolders(cameras)) {
    const names = sharing.map((camera) => `${JSON.stringify(camera.name)} (id ${camera.id})`).join(', ');
    logger.warn(
      { event: 'camera.shared_folder', folder, cameras: sharing.map(({ id, name }) => ({ id, name })) },
      `cameras ${names} share the folder ${folder}/: their clips stay apart by the tag in each name; rename one camera in Scrypted to give it its own folder`,
    );
  }
}
