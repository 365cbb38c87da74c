/** Builds the console's browser assets into dist/console-ui. */
export function buildConsole(): Promise<void>;
