// The feed list: renders posts from GET /api/feed and keeps them up to date in place (so a
// refresh never moves focus or scroll), newest first.

let nextId = 0;

/**
 * Text of a like count.
 * @param {number | null} count
 */
function countText(count) {
  if (count === null || count === undefined) return 'Likes unknown';
  return count === 1 ? '1 like' : `${count} likes`;
}

/** The feed list view. */
export class FeedView {
  /**
   * @param {HTMLOListElement} list
   * @param {(postId: string, like: boolean, button: HTMLButtonElement) => void} onLike called on a like/unlike click
   * @param {(postId: string, button: HTMLButtonElement) => void} onDelete called on a Delete click (own posts only)
   */
  constructor(list, onLike, onDelete) {
    this.list = list;
    this.onLike = onLike;
    this.onDelete = onDelete;
    this.signedIn = false;
    /** @type {string | null} the signed-in user: their own posts get a Delete button */
    this.user = null;
    /** @type {Map<string, HTMLLIElement>} */
    this.items = new Map();
  }

  /** Number of posts shown. */
  get size() {
    return this.items.size;
  }

  /**
   * Merges the newest page: updates the posts already shown, inserts new ones at their place.
   * @param {any[]} posts newest first
   */
  mergeNewest(posts) {
    let previous = null;
    for (const post of posts) {
      let element = this.items.get(post.id);
      if (element) {
        this.update(post);
      } else {
        element = this.create(post);
        if (previous) previous.after(element);
        else this.list.prepend(element);
      }
      previous = element;
    }
  }

  /** Appends an older page (posts already shown are updated, not repeated). @param {any[]} posts */
  appendOlder(posts) {
    for (const post of posts) {
      if (this.items.has(post.id)) this.update(post);
      else this.list.append(this.create(post));
    }
  }

  /**
   * Updates a shown post from a feed item or a like answer.
   * @param {{ id: string, likeCount?: number | null, likeCountStale?: boolean, likedByViewer?: boolean | null }} post
   */
  update(post) {
    const element = this.items.get(post.id);
    if (!element) return;
    const count = element.querySelector('.count');
    const button = element.querySelector('button.like');
    if ('likeCount' in post) {
      count.textContent = countText(post.likeCount);
      const stale = post.likeCountStale === true && post.likeCount !== null;
      count.classList.toggle('stale', stale);
      if (stale) {
        const mark = document.createElement('span');
        mark.className = 'stale-mark';
        mark.textContent = ' (stale)';
        count.append(mark);
        count.title = 'Last known count: likes are unavailable right now';
      } else {
        count.removeAttribute('title');
      }
    }
    if (typeof post.likedByViewer === 'boolean') button.setAttribute('aria-pressed', String(post.likedByViewer));
  }

  /**
   * Shows (or clears) an error on one post.
   * @param {string} postId
   * @param {string} message empty to clear
   */
  postError(postId, message) {
    const element = this.items.get(postId);
    if (element) element.querySelector('.post-error').textContent = message;
  }

  /** Clears every post's error. */
  clearPostErrors() {
    for (const element of this.items.values()) element.querySelector('.post-error').textContent = '';
  }

  /**
   * Like buttons work only when signed in; Delete buttons show on the user's own posts.
   * @param {boolean} signedIn @param {string | null} [user]
   */
  setSignedIn(signedIn, user = null) {
    this.signedIn = signedIn;
    this.user = signedIn ? user : null;
    for (const element of this.items.values()) {
      this.applySignedIn(element.querySelector('button.like'));
      const remove = element.querySelector('button.delete');
      remove.hidden = this.user === null || remove.dataset.author !== this.user;
    }
  }

  /**
   * Takes a post off the list (deleted), moving focus to the next post's first control, or the
   * previous one's, so keyboard users are not left on nothing.
   * @param {string} postId
   * @param {boolean} [hadFocusBefore] the post held the focus when the delete began: Chromium takes
   *   the focus off a button that becomes disabled (to the body), so the caller says so from before
   */
  remove(postId, hadFocusBefore = false) {
    const element = this.items.get(postId);
    if (!element) return;
    const neighbour = element.nextElementSibling ?? element.previousElementSibling;
    const focusLost = document.activeElement === null || document.activeElement === document.body;
    const hadFocus = element.contains(document.activeElement) || (hadFocusBefore && focusLost);
    element.remove();
    this.items.delete(postId);
    if (hadFocus) neighbour?.querySelector('a, button:not([hidden])')?.focus();
  }

  /** Forgets every post (e.g. after signing in as someone else). */
  clear() {
    this.items.clear();
    this.list.replaceChildren();
  }

  /** @param {HTMLButtonElement} button */
  applySignedIn(button) {
    button.disabled = !this.signedIn;
    button.title = this.signedIn ? '' : 'Sign in to like posts';
  }

  /** @param {any} post @returns {HTMLLIElement} */
  create(post) {
    const n = ++nextId;
    const li = document.createElement('li');
    li.className = 'post';
    li.dataset.postId = post.id;
    const article = document.createElement('article');
    article.setAttribute('aria-labelledby', `post-caption-${n}`);

    const link = document.createElement('a');
    link.className = 'post-image';
    link.href = post.imageUrl;
    const img = document.createElement('img');
    img.src = post.thumbnailUrl;
    img.alt = post.caption ? post.caption : `Photo by ${post.author}`;
    if (post.thumbnailWidth > 0 && post.thumbnailHeight > 0) {
      img.width = post.thumbnailWidth;
      img.height = post.thumbnailHeight;
    }
    img.loading = 'lazy';
    img.decoding = 'async';
    link.append(img);

    const body = document.createElement('div');
    body.className = 'post-body';
    const caption = document.createElement('p');
    caption.className = 'caption';
    caption.id = `post-caption-${n}`;
    caption.textContent = post.caption || 'Untitled photo';
    const meta = document.createElement('p');
    meta.className = 'meta';
    const author = document.createElement('span');
    author.className = 'author';
    author.textContent = post.author;
    const time = document.createElement('time');
    time.dateTime = post.createdAt;
    time.textContent = new Date(post.createdAt).toLocaleString();
    meta.append('by ', author, ' · ', time);

    const likes = document.createElement('div');
    likes.className = 'likes';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'like';
    button.setAttribute('aria-pressed', String(post.likedByViewer === true));
    button.setAttribute('aria-describedby', `post-caption-${n} post-count-${n}`);
    const heart = document.createElement('span');
    heart.setAttribute('aria-hidden', 'true');
    heart.className = 'heart';
    heart.textContent = '♥';
    button.append(heart, ' Like');
    button.addEventListener('click', () => this.onLike(post.id, button.getAttribute('aria-pressed') !== 'true', button));
    this.applySignedIn(button);
    const count = document.createElement('span');
    count.className = 'count';
    count.id = `post-count-${n}`;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'delete';
    remove.dataset.author = post.author;
    remove.textContent = 'Delete';
    // the name stays "Delete" (no caption text in it, which could match other buttons' names); the caption describes it
    remove.setAttribute('aria-describedby', `post-caption-${n}`);
    remove.hidden = this.user === null || post.author !== this.user;
    remove.addEventListener('click', () => this.onDelete(post.id, remove));
    likes.append(button, count, remove);

    const error = document.createElement('p');
    error.className = 'post-error error';
    error.setAttribute('role', 'alert');

    body.append(caption, meta, likes, error);
    article.append(link, body);
    li.append(article);
    this.items.set(post.id, li);
    this.update(post);
    return li;
  }
}
