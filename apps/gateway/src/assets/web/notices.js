// The degraded-state notices shown above the page, in one live region. Each notice is keyed by
// the part it is about and is driven by what the server says: the feed's `degraded` list,
// /api/health, and the errors of the user's own actions. A notice goes away by itself once the
// server reports that part healthy again.

/** Texts of the notices, by key. */
export const NOTICE_TEXT = {
  likes: 'Likes unavailable — counts may be stale.',
  upload: 'Upload disabled for now — the upload service is unavailable.',
  feed: 'Showing a cached feed — new posts will appear when the feed service is back.',
  offline: 'Cannot reach the platform — retrying.',
};

/** The notices area. */
export class Notices {
  /** @param {HTMLElement} container the live region */
  constructor(container) {
    this.container = container;
    /** @type {Map<string, string>} key → text */
    this.shown = new Map();
  }

  /**
   * Shows (or updates) the notice `key`.
   * @param {string} key
   * @param {string} [text]
   */
  show(key, text = NOTICE_TEXT[key] ?? key) {
    if (this.shown.get(key) === text) return;
    this.shown.set(key, text);
    this.render();
  }

  /** Hides the notice `key` (nothing when it is not shown). @param {string} key */
  hide(key) {
    if (this.shown.delete(key)) this.render();
  }

  /** @param {string} key @returns {boolean} */
  has(key) {
    return this.shown.has(key);
  }

  render() {
    const items = [...this.shown].map(([key, text]) => {
      const p = document.createElement('p');
      p.className = `notice notice-${key}`;
      p.dataset.notice = key;
      p.textContent = text;
      return p;
    });
    this.container.replaceChildren(...items);
  }
}
