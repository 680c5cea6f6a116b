// Local stores: the OCI image layout directory (read and write) and the docker-save archive (read-only), both
// implementing ContentStore; and the parser of their command-line locations.
export { DOCKER_LAYER_TAR_MEDIA_TYPE, IMAGE_NAME_ANNOTATION, REF_NAME_ANNOTATION } from './common.js';
export {
  DockerArchiveStore,
  type DockerSaveManifestItem,
  type OpenDockerArchiveOptions,
  openDockerArchive,
} from './docker-archive.js';
export {
  isLocalLocation,
  type LocalLocation,
  type LocalLocationKind,
  type ParseLocalLocationOptions,
  parseLocalLocation,
} from './location.js';
export { OciLayoutStore, type OpenLayoutOptions, openLayout, type TagOptions } from './oci-layout.js';
