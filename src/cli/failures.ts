import type { Command } from 'commander';

export function registerFailures(program: Command): void {
  void program; // TODO
}
