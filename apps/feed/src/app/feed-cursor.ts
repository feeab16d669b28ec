import { ID_PATTERN } from '@failsoft/contracts';
import { invalidArgument } from './feed.validation';

/** Where a GetFeed page ended: the last item's timeline score (createdAtMs) and post id. */
export interface FeedCursor {
  /** Score of the last item, as Redis prints it (decimal digits). */
  readonly score: string;
  /** Id of the last item. */
  readonly postId: string;
}

/** Longest cursor accepted (characters); a real one is far shorter. */
const MAX_CURSOR_LENGTH = 256;

/** Encodes a cursor: base64url of `<score>:<postId>` (opaque to clients). */
export function encodeCursor(cursor: FeedCursor): string {
  return Buffer.from(`${cursor.score}:${cursor.postId}`, 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor}.
 * @throws GrpcError INVALID_ARGUMENT (`INVALID_CURSOR`) for anything else.
 */
export function decodeCursor(text: string): FeedCursor {
  const bad = () => invalidArgument('INVALID_CURSOR', 'cursor is malformed: pass next_cursor from a previous GetFeed response unchanged, or an empty cursor for the first page');
  if (text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw bad();
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):(.+)$/.exec(decoded);
  if (match === null || !ID_PATTERN.test(match[2]) || encodeCursor({ score: match[1], postId: match[2] }) !== text) throw bad();
  return { score: match[1], postId: match[2] };
}
