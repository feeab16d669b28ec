// The new-post form: image preview, client-side hints, and the server's own error messages.

import { api, ApiError, randomKey } from './api.js';

const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'];

/** A size for people, e.g. `11.0 MiB`. @param {number} bytes */
export function formatBytes(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/**
 * Wires the upload form.
 * @param {{
 *   form: HTMLFormElement, file: HTMLInputElement, caption: HTMLInputElement, button: HTMLButtonElement,
 *   preview: HTMLElement, previewImage: HTMLImageElement, previewInfo: HTMLElement,
 *   error: HTMLElement, status: HTMLElement,
 *   token: () => string | null,
 *   onPosted: (post: any) => void,
 *   onFailure: (error: ApiError) => void,
 *   onSettled?: () => void,
 * }} parts
 */
export function wireUpload(parts) {
  let previewUrl = null;
  /** Reused while the same file and caption are retried, so a retry never makes a second post. */
  let key = null;

  const clearPreview = () => {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    parts.preview.hidden = true;
    parts.previewImage.removeAttribute('src');
    parts.previewInfo.textContent = '';
  };

  parts.file.addEventListener('change', () => {
    key = null;
    parts.error.textContent = '';
    parts.status.textContent = '';
    clearPreview();
    const file = parts.file.files?.[0];
    if (!file) return;
    const hint = ACCEPTED.includes(file.type) ? '' : ' This does not look like a JPEG, PNG, WebP or GIF image; the server will check it.';
    parts.previewInfo.textContent = `${file.name} — ${file.type || 'unknown type'}, ${formatBytes(file.size)}.${hint}`;
    previewUrl = URL.createObjectURL(file);
    parts.previewImage.src = previewUrl;
    parts.preview.hidden = false;
  });
  parts.previewImage.addEventListener('error', () => {
    if (parts.previewImage.getAttribute('src')) parts.previewInfo.append(' The browser cannot show this file as an image; the server will check it.');
  });
  parts.caption.addEventListener('input', () => {
    key = null;
  });

  parts.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = parts.file.files?.[0];
    parts.error.textContent = '';
    parts.status.textContent = '';
    if (!file) {
      parts.error.textContent = 'Choose an image first.';
      parts.file.focus();
      return;
    }
    const form = new FormData();
    form.append('caption', parts.caption.value);
    form.append('image', file, file.name);
    key ??= randomKey();
    parts.button.disabled = true;
    parts.form.setAttribute('aria-busy', 'true');
    parts.status.textContent = `Uploading ${file.name}…`;
    try {
      const body = await api('/api/posts', { method: 'POST', form, token: parts.token(), headers: { 'Idempotency-Key': key }, timeoutMs: 120_000 });
      key = null;
      parts.form.reset();
      clearPreview();
      parts.status.textContent = body.replayed ? 'Already posted.' : 'Posted.';
      parts.onPosted(body.post);
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError(0, 'UNKNOWN', String(error));
      parts.status.textContent = '';
      parts.error.textContent = `Upload failed: ${failure.message}`;
      parts.onFailure(failure);
    } finally {
      parts.form.removeAttribute('aria-busy');
      parts.button.disabled = false;
      parts.onSettled?.();
    }
  });

  return { clearPreview };
}
