// Types of build-console.mjs for the TypeScript that imports it (tests, screenshots).
/** Builds dist/console-ui; resolves with the assets' gzipped size in bytes (rejects over MAX_GZIPPED_BYTES). */
export function buildConsole(): Promise<number>;
export const MAX_GZIPPED_BYTES: number;
export function gzippedBytes(): number;
