/**
 * Image handling of the upload service: validation by bytes (inspectImage) and thumbnails
 * (makeThumbnail), with ImageRejectedError for anything refused.
 */
export * from './image-rejected.error';
export * from './image-limits';
export * from './inspect-image.validator';
export * from './make-thumbnail';
export * from './sanitize-original';
