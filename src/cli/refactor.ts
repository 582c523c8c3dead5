import { UserError, type CliIO } from './common';

// Placeholder until the refactor command lands; keeps the dispatcher and bundle building.
export async function run(_argv: string[], _io: CliIO, _signal: AbortSignal): Promise<number> {
  throw new UserError('`stagelens refactor` is not implemented yet.');
}
