import type { Command } from 'commander';

export function registerEmulator(program: Command): void {
  void program; // TODO
}
