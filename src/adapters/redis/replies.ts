/** Narrowing of script replies, whose shape TypeScript cannot know: a surprise is an error, never a guess. */

export function array(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new Error('unexpected reply from Redis');
  return reply;
}

export function strings(reply: unknown): string[] {
  return array(reply).map((item) => {
    if (typeof item !== 'string') throw new Error('unexpected reply from Redis');
    return item;
  });
}

export function numbers(reply: unknown): number[] {
  return array(reply).map((item) => {
    if (typeof item !== 'number') throw new Error('unexpected reply from Redis');
    return item;
  });
}
