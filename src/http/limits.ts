/** API.md: bodies over 16 KiB are 413. */
export const BODY_LIMIT = 16 * 1024;
