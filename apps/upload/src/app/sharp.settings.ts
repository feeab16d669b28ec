import sharp from 'sharp';

let configured = false;

/**
 * Process-wide sharp (libvips) settings for a service that decodes untrusted uploads: no operation
 * cache (it would keep decoded images in memory), and one libvips worker thread per image, so a
 * burst of uploads cannot take every core (concurrent images are bounded by the caller).
 * Idempotent.
 */
export function configureSharp(): void {
  if (configured) return;
  configured = true;
  sharp.cache(false);
  sharp.concurrency(1);
}
