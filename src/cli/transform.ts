import type { Command } from 'commander';

export function registerTransform(program: Command): void {
  void program; // TODO
}
