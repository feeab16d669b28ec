// Failsoft web app: sign in, the feed with like counts, like/unlike, upload with a preview, and
// honest notices when parts of the platform are down (they clear by themselves on recovery).
// Plain ES modules served by the gateway; no framework, nothing from another origin.

import { api, ApiError, randomKey } from './api.js';
import { FeedView } from './feed.js';
import { NOTICE_TEXT, Notices } from './notices.js';
import { currentSession, signIn, signOut } from './session.js';
import { wireUpload } from './upload.js';

/** How often the feed and /api/health are read again (ms). */
const POLL_MS = 3000;
/** Posts per page. */
const PAGE_SIZE = 12;

const $ = (id) => document.getElementById(id);

const notices = new Notices($('notices'));
const feedList = $('feed');
const feed = new FeedView(
  feedList,
  (postId, like, button) => void toggleLike(postId, like, button),
  (postId, button) => void deletePost(postId, button),
);

let session = currentSession();
/** Cursor of the next older page; undefined before the first page, null after the last. */
let nextCursor;
/** Parts the last feed read said were degraded. */
let feedParts = new Set();
/** When the last feed read was a cached copy, when that copy was made. */
let cachedAt = null;
/** Parts /api/health last said were degraded. */
let healthParts = new Set();
/** Parts an action of the user found unavailable (message to show, when), until reported healthy. */
const actionParts = new Map();
let pollTimer;
let pollGeneration = 0;

/** Shows or hides every notice from what the server last said. */
function refreshNotices() {
  const likesDown = actionParts.has('likes') || feedParts.has('likes') || healthParts.has('likes');
  if (likesDown) notices.show('likes', actionParts.get('likes')?.message ?? NOTICE_TEXT.likes);
  else notices.hide('likes');

  const uploadDown = actionParts.has('upload') || healthParts.has('upload');
  if (uploadDown) notices.show('upload', actionParts.get('upload')?.message ?? NOTICE_TEXT.upload);
  else notices.hide('upload');
  $('upload-button').disabled = uploadDown;
  $('upload-disabled-reason').hidden = !uploadDown;

  if (feedParts.has('feed')) {
    const when = cachedAt ? ` saved at ${new Date(cachedAt).toLocaleTimeString()}` : '';
    notices.show('feed', `Showing a cached feed${when} — new posts will appear when the feed service is back.`);
  } else {
    notices.hide('feed');
  }
}

/** Shows the signed-in or signed-out page. */
function applySession() {
  const signedIn = session !== null;
  feedList.setAttribute('aria-busy', 'true');
  $('session').hidden = !signedIn;
  $('session-user').textContent = signedIn ? session.user : '';
  $('sign-in-panel').hidden = signedIn;
  $('compose-panel').hidden = !signedIn;
  feed.setSignedIn(signedIn, signedIn ? session.user : null);
}

/** Reads the newest page and merges it into the list. */
async function loadNewest() {
  try {
    const page = await api(`/api/feed?limit=${PAGE_SIZE}`, { token: session?.token, timeoutMs: 10_000 });
    feedParts = new Set(page.degraded ?? []);
    cachedAt = page.lastGoodAt ?? null;
    feed.mergeNewest(page.items);
    if (nextCursor === undefined) nextCursor = page.nextCursor;
    $('load-more').hidden = !nextCursor;
    $('feed-empty').hidden = feed.size > 0;
    $('feed-error').textContent = '';
    notices.hide('offline');
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 0) notices.show('offline');
    else if (error instanceof ApiError && error.status === 401) expireSession();
    const retry = error instanceof ApiError && error.retryAfterS ? ` Retrying in ${error.retryAfterS} s.` : ' Retrying.';
    $('feed-error').textContent = `The feed could not be loaded: ${error instanceof Error ? error.message : String(error)}.${retry}`;
    return false;
  } finally {
    feedList.setAttribute('aria-busy', 'false');
  }
}

/** Reads /api/health (which parts the gateway sees as degraded). */
async function loadHealth() {
  try {
    const health = await api('/api/health', { timeoutMs: 5000 });
    healthParts = new Set(health.degraded ?? []);
    notices.hide('offline');
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 0) notices.show('offline');
    return false;
  }
}

/** One poll: the newest page and health; clears action notices of parts reported healthy again. */
async function poll() {
  clearTimeout(pollTimer);
  const generation = ++pollGeneration;
  const startedAt = Date.now();
  const [feedOk, healthOk] = await Promise.all([loadNewest(), loadHealth()]);
  if (feedOk && healthOk) {
    for (const [part, failure] of actionParts) {
      if (failure.at < startedAt && !feedParts.has(part) && !healthParts.has(part)) actionParts.delete(part);
    }
  }
  refreshNotices();
  if (generation === pollGeneration) pollTimer = setTimeout(() => void poll(), POLL_MS);
}

/** Starts over: forgets the list and reads the newest page again. */
function reloadFeed() {
  feed.clear();
  nextCursor = undefined;
  void poll();
}

/** Records that an action found `part` unavailable. */
function partFailed(part, message) {
  actionParts.set(part, { message, at: Date.now() });
  refreshNotices();
}

/** The session expired (or the server forgot its key): back to the sign-in form, saying why. */
function expireSession() {
  if (!session) return;
  signOut();
  session = null;
  applySession();
  $('sign-in-error').textContent = 'Your session has expired: please sign in again.';
  reloadFeed();
}

/** Likes or unlikes a post. */
async function toggleLike(postId, like, button) {
  if (!session) return;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  feed.postError(postId, '');
  try {
    // a key per click: a copy of this request delivered late cannot undo the user's next click
    const result = await api(`/api/posts/${encodeURIComponent(postId)}/likes`, { method: like ? 'POST' : 'DELETE', token: session.token, timeoutMs: 10_000, headers: { 'Idempotency-Key': randomKey() } });
    feed.update({ id: postId, likeCount: result.likeCount, likeCountStale: false, likedByViewer: result.liked });
    if (actionParts.delete('likes')) refreshNotices();
  } catch (error) {
    const failure = error instanceof ApiError ? error : new ApiError(0, 'UNKNOWN', String(error));
    if (failure.status === 401) return expireSession();
    if (failure.status === 503) {
      const wait = failure.retryAfterS ? `try again in ${failure.retryAfterS} s` : 'try again shortly';
      partFailed('likes', `Likes unavailable — ${wait}. Counts may be stale.`);
      feed.postError(postId, `Could not ${like ? 'like' : 'unlike'} this post: ${failure.message}`);
    } else {
      feed.postError(postId, `Could not ${like ? 'like' : 'unlike'} this post: ${failure.message}`);
    }
  } finally {
    button.removeAttribute('aria-busy');
    button.disabled = !session;
  }
}

/** Deletes one of the user's posts (after a confirmation); a post already gone is taken off the list too. */
async function deletePost(postId, button) {
  // before the dialog and before disabling the button: Chromium moves the focus of a disabled
  // button to the body, and the post (if deleted) should hand it to a neighbour instead
  const hadFocus = document.activeElement === button;
  if (!session || !window.confirm('Delete this post? This cannot be undone.')) return;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  feed.postError(postId, '');
  try {
    await api(`/api/posts/${encodeURIComponent(postId)}`, { method: 'DELETE', token: session.token, timeoutMs: 10_000 });
    feed.remove(postId, hadFocus);
    if (actionParts.delete('upload')) refreshNotices();
  } catch (error) {
    const failure = error instanceof ApiError ? error : new ApiError(0, 'UNKNOWN', String(error));
    if (failure.status === 401) return expireSession();
    if (failure.status === 404) return feed.remove(postId, hadFocus);
    if (failure.status === 503) {
      const wait = failure.retryAfterS ? `try again in ${failure.retryAfterS} s` : 'try again shortly';
      partFailed('upload', `Upload disabled for now — the upload service is unavailable; ${wait}.`);
    }
    feed.postError(postId, `Could not delete this post: ${failure.message}`);
  } finally {
    button.removeAttribute('aria-busy');
    button.disabled = false;
    // still on the page (refused, or failed): give the focus back if disabling took it away
    if (hadFocus && button.isConnected && (document.activeElement === null || document.activeElement === document.body)) button.focus();
  }
}

// --- wiring -------------------------------------------------------------------------------------

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const error = $('sign-in-error');
  error.textContent = '';
  const button = event.target.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    session = await signIn($('user').value, $('password').value);
    $('password').value = '';
    applySession();
    reloadFeed();
    $('compose-title').setAttribute('tabindex', '-1');
    $('compose-title').focus();
  } catch (failure) {
    error.textContent = `Sign-in failed: ${failure instanceof Error ? failure.message : String(failure)}`;
    $('password').focus();
  } finally {
    button.disabled = false;
  }
});

$('sign-out').addEventListener('click', () => {
  signOut({ revoke: true });
  session = null;
  applySession();
  reloadFeed();
  $('user').focus();
});

$('refresh').addEventListener('click', () => void poll());

$('load-more').addEventListener('click', async () => {
  const button = $('load-more');
  if (!nextCursor) return;
  button.disabled = true;
  try {
    const page = await api(`/api/feed?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(nextCursor)}`, { token: session?.token, timeoutMs: 10_000 });
    feed.appendOlder(page.items);
    nextCursor = page.nextCursor;
    button.hidden = !nextCursor;
    $('feed-error').textContent = '';
  } catch (error) {
    $('feed-error').textContent = `Older posts could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    button.disabled = false;
  }
});

wireUpload({
  form: $('upload-form'),
  file: $('image'),
  caption: $('caption'),
  button: $('upload-button'),
  preview: $('preview'),
  previewImage: $('preview-image'),
  previewInfo: $('preview-info'),
  error: $('upload-error'),
  status: $('upload-status'),
  token: () => session?.token ?? null,
  onPosted: (post) => {
    feed.mergeNewest([post]);
    $('feed-empty').hidden = true;
    if (actionParts.delete('upload')) refreshNotices();
    void poll();
  },
  onFailure: (failure) => {
    if (failure.status === 401) expireSession();
    else if (failure.status === 503) {
      const wait = failure.retryAfterS ? `try again in ${failure.retryAfterS} s` : 'try again shortly';
      partFailed('upload', `Upload disabled for now — the upload service is unavailable; ${wait}.`);
    }
  },
  onSettled: refreshNotices,
});

applySession();
void poll();
